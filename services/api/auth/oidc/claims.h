// The claim checks of OpenID Connect Core §3.1.3.7 for ID tokens, and the
// matching ones for IdP access tokens sent as bearer tokens: issuer,
// audience (this client), time window with a small skew, nonce. The person
// is `preferred_username`, as Data.Rentgen's Keycloak provider takes it; the
// `email` claim and the admin role (a configured claim) come along for the audit.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokengate {

enum class TokenUse { kIdToken, kAccessToken };

struct ClaimRules {
  std::string issuer;
  std::string client_id;
  absl::Duration clock_skew = absl::Seconds(30);
  TokenUse use = TokenUse::kIdToken;
  // ID tokens of a login: must equal the token's "nonce".
  std::optional<std::string> nonce;
  // The admin role: the claim at `admin_claim` (role_claim.h) holds `admin_role`.
  std::string admin_claim;
  std::string admin_role;
  // Service accounts managed through groups: ClaimServiceAccounts (role_claim.h).
  std::string group_claim;
  std::string group_pattern;
};

struct TokenClaims {
  std::string user_name;  // preferred_username
  absl::Time expires_at;
  std::string email;  // "" when the token has none.
  bool admin = false;
  std::vector<std::string> managed_service_accounts;
};

// UNAUTHENTICATED with a reason safe to show ("Token has expired", …).
absl::StatusOr<TokenClaims> CheckClaims(absl::string_view claims_json, const ClaimRules& rules,
                                        absl::Time now);

}  // namespace tokengate
