#include "services/api/auth/oidc/claims.h"

#include <simdjson.h>

#include <cmath>

#include <openssl/crypto.h>

#include "absl/status/status.h"
#include "common/base/names.h"
#include "services/api/auth/oidc/role_claim.h"

namespace tokengate {
namespace {

absl::Status Invalid(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

// NumericDate (RFC 7519 §2): seconds, possibly fractional. A time beyond what
// absl::Time holds saturates to the infinite past or future (absl::Seconds of
// a double does), where a cast to an integer would be undefined.
std::optional<absl::Time> TimeClaim(simdjson::dom::object claims, const char* name) {
  double seconds;
  if (claims[name].get_double().get(seconds) != simdjson::SUCCESS || !std::isfinite(seconds)) {
    return std::nullopt;
  }
  return absl::UnixEpoch() + absl::Seconds(seconds);
}

bool HasAudience(simdjson::dom::object claims, const std::string& client_id, size_t* count) {
  std::string_view single;
  *count = 0;
  if (claims["aud"].get_string().get(single) == simdjson::SUCCESS) {
    *count = 1;
    return single == client_id;
  }
  simdjson::dom::array list;
  if (claims["aud"].get_array().get(list) != simdjson::SUCCESS) return false;
  bool found = false;
  for (simdjson::dom::element item : list) {
    std::string_view value;
    ++*count;
    if (item.get_string().get(value) == simdjson::SUCCESS && value == client_id) found = true;
  }
  return found;
}

bool SameText(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

absl::StatusOr<TokenClaims> CheckClaims(absl::string_view claims_json, const ClaimRules& rules,
                                        absl::Time now) {
  simdjson::dom::parser parser;
  simdjson::dom::object claims;
  if (parser.parse(claims_json.data(), claims_json.size()).get_object().get(claims) != simdjson::SUCCESS) {
    return Invalid("Malformed token");
  }
  std::string_view issuer;
  if (claims["iss"].get_string().get(issuer) != simdjson::SUCCESS || issuer != rules.issuer) {
    return Invalid("Token is from another issuer");
  }
  std::string_view azp;
  const bool has_azp = claims["azp"].get_string().get(azp) == simdjson::SUCCESS;
  size_t audiences = 0;
  const bool for_us = HasAudience(claims, rules.client_id, &audiences);
  if (rules.use == TokenUse::kIdToken) {
    // §3.1.3.7 items 3-5: we must be an audience, and the authorized party when there are several.
    if (!for_us || (audiences > 1 && (!has_azp || azp != rules.client_id))) {
      return Invalid("Token is for another client");
    }
  } else if (!for_us && !(has_azp && azp == rules.client_id)) {
    return Invalid("Token is for another client");
  }
  // Keycloak names its token kinds; an ID or refresh token is not a bearer credential.
  std::string_view typ;
  if (rules.use == TokenUse::kAccessToken && claims["typ"].get_string().get(typ) == simdjson::SUCCESS &&
      typ != "Bearer") {
    return Invalid("Token is not an access token");
  }

  const std::optional<absl::Time> expires_at = TimeClaim(claims, "exp");
  if (!expires_at) return Invalid("Token has no expiry");
  if (now > *expires_at + rules.clock_skew) return Invalid("Token has expired");
  if (auto not_before = TimeClaim(claims, "nbf"); not_before && now + rules.clock_skew < *not_before) {
    return Invalid("Token is not valid yet");
  }
  if (auto issued_at = TimeClaim(claims, "iat"); issued_at && now + rules.clock_skew < *issued_at) {
    return Invalid("Token is issued in the future");
  }
  if (rules.nonce) {
    std::string_view nonce;
    if (claims["nonce"].get_string().get(nonce) != simdjson::SUCCESS || !SameText(nonce, *rules.nonce)) {
      return Invalid("Token nonce does not match the login");
    }
  }
  std::string_view user;
  if (claims["preferred_username"].get_string().get(user) != simdjson::SUCCESS || user.empty()) {
    return Invalid("Token has no preferred_username");
  }
  // The IdP's name becomes our principal: it obeys the rule every name does.
  if (HasControlCharacter(absl::string_view(user.data(), user.size()))) {
    return Invalid("Token's preferred_username holds control characters");
  }
  std::string_view email;
  if (claims["email"].get_string().get(email) != simdjson::SUCCESS) email = "";
  return TokenClaims{
      .user_name = std::string(user),
      .expires_at = *expires_at,
      .email = std::string(email),
      .admin = ClaimHasRole(claims, rules.admin_claim, rules.admin_role),
      .managed_service_accounts = ClaimServiceAccounts(claims, rules.group_claim, rules.group_pattern)};
}

}  // namespace tokengate
