// Reading credentials off a request: the bearer token of an Authorization
// header (RFC 6750 §2.1, scheme case-insensitive) and a named cookie. Only
// extraction; what a credential is worth is the caller's question.
#pragma once

#include <optional>

#include "absl/strings/string_view.h"

namespace tokengate {

// Data.Rentgen's words for credentials of the wrong kind (401 message and details).
inline constexpr absl::string_view kMissingAuthorization = "Missing Authorization header";
inline constexpr absl::string_view kAccessTokenExpected =
    "PersonalToken was passed but access token was expected";
inline constexpr absl::string_view kPersonalTokenExpected =
    "Access token was passed but PersonalToken was expected";
// The authority's reason when personal tokens are switched off.
inline constexpr absl::string_view kPersonalTokensDisabled =
    "Authentication using PersonalTokens is disabled";

// The token of "Bearer <token>", or nullopt for another scheme, a missing
// token or a token with spaces inside.
std::optional<absl::string_view> BearerToken(absl::string_view authorization);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt.
std::optional<absl::string_view> CookieValue(absl::string_view cookie_header, absl::string_view name);

}  // namespace tokengate
