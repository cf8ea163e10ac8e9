// The relying party's side of OpenID Connect towards one issuer: discovery
// (<issuer>/.well-known/openid-configuration, fetched on first need and kept),
// the authorization URL of a code flow with PKCE, the code and refresh-token
// grants at the token endpoint, logout at the IdP, and verification of ID
// tokens and bearer access tokens against the issuer's JWKS.
// UNAVAILABLE means "could not ask the IdP" (→ 503); UNAUTHENTICATED means
// the IdP or a check said no (→ 401).
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "services/api/auth/oidc/claims.h"
#include "services/api/auth/oidc/idp_http.h"
#include "services/api/auth/oidc/jwks.h"

namespace tokengate {

struct OidcSettings {
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;  // This api's /v1/auth/callback as the browser reaches it.
  std::string scope = "openid";
  IdpHttpOptions http;
  absl::Duration clock_skew = absl::Seconds(30);
  absl::Duration jwks_min_refresh = absl::Seconds(10);
  // The admin role: see ClaimRules.
  std::string admin_claim = "realm_access.roles";
  std::string admin_role = "tokengate-admin";
  // Service accounts managed through groups: see ClaimRules.
  std::string group_claim = "groups";
  std::string group_pattern = "tokengate-sa-{name}";
};

struct OidcEndpoints {
  std::string authorization;
  std::string token;
  std::string jwks_uri;
  std::string end_session;  // Empty when the IdP has none.
};

// What the token endpoint answers. The session stands for the access token;
// it is read once, for roles the IdP puts only there (Keycloak's realm roles).
struct TokenSet {
  std::string id_token;
  std::string refresh_token;
  std::string access_token;
  absl::Duration expires_in;
};

class OidcClient {
 public:
  OidcClient(OidcSettings settings, const Clock* clock);

  // The endpoints from discovery: kept after the first success.
  absl::StatusOr<OidcEndpoints> Endpoints();
  // Discovery asked afresh (and kept): proves the IdP answers right now.
  absl::StatusOr<OidcEndpoints> FetchEndpoints();

  absl::StatusOr<std::string> AuthorizationUrl(absl::string_view state, absl::string_view nonce,
                                               absl::string_view code_challenge);
  absl::StatusOr<TokenSet> ExchangeCode(absl::string_view code, absl::string_view code_verifier);
  absl::StatusOr<TokenSet> Refresh(absl::string_view refresh_token);
  // Ends the IdP session of `refresh_token` from here (Keycloak accepts the
  // client's credentials plus the refresh token at its end-session endpoint).
  absl::Status EndIdpSession(absl::string_view refresh_token);
  // Where the browser ends its IdP session too and comes back to `back_to`.
  absl::StatusOr<std::string> EndSessionUrl(absl::string_view id_token_hint, absl::string_view back_to);

  absl::StatusOr<TokenClaims> VerifyIdToken(absl::string_view id_token, absl::string_view nonce);
  // An ID token from a refresh grant: the same checks without a nonce.
  absl::StatusOr<TokenClaims> VerifyRefreshedIdToken(absl::string_view id_token);
  absl::StatusOr<TokenClaims> VerifyAccessToken(absl::string_view access_token);

 private:
  absl::StatusOr<TokenSet> TokenGrant(absl::string_view form);
  absl::StatusOr<TokenClaims> Verify(absl::string_view jwt, ClaimRules rules);
  ClaimRules Rules(TokenUse use) const;

  const OidcSettings settings_;
  const Clock* clock_;
  IdpHttp http_;
  JwksCache jwks_;
  std::mutex mu_;
  std::optional<OidcEndpoints> endpoints_;
};

}  // namespace tokengate
