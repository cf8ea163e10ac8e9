// The request methods the edges know, as our own type: the router's API and
// the route files name them without Pistache, which only moves bytes.
#pragma once

#include <optional>

#include "absl/strings/string_view.h"

namespace tokengate {

enum class HttpMethod { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kTrace, kConnect };

// The method a request line names (case-sensitive, as RFC 9110 says); nullopt for any other.
std::optional<HttpMethod> ParseHttpMethod(absl::string_view token);
// "GET", "POST", … as on the wire and in Allow.
absl::string_view HttpMethodName(HttpMethod method);

}  // namespace tokengate
