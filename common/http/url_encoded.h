// application/x-www-form-urlencoded (WHATWG URL §5.1), used for query
// strings and OAuth2 form bodies, both ways. Keeps repeated names and their
// order.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tokengate {

using UrlParams = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=x+y&c=%2F" → {{a,1},{b,"x y"},{c,"/"}}. A malformed percent escape is
// kept literally, as browsers do.
UrlParams ParseUrlEncoded(absl::string_view text);
std::string PercentDecode(absl::string_view text, bool plus_is_space);
// The first value of `name`, or nullopt.
std::optional<std::string> FirstValue(const UrlParams& params, absl::string_view name);
// Percent-encodes all but A-Z a-z 0-9 - . _ ~ (so also safe in a URL's query).
std::string UrlEncode(absl::string_view text);
// {{a,1},{b,"x y"}} → "a=1&b=x%20y".
std::string EncodeUrlParams(const UrlParams& params);

}  // namespace tokengate
