// base64url without padding (RFC 7515 §2), as JWS compact serialization uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace tokengate {

std::string Base64UrlEncode(absl::string_view data);
// nullopt on any character outside the alphabet, on padding, or on an
// impossible length (len % 4 == 1).
std::optional<std::string> Base64UrlDecode(absl::string_view text);

}  // namespace tokengate
