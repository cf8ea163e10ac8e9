// Who is calling: a bearer personal token (asked of the shared VerifyCache),
// and a human: with the dummy provider a bearer access token or the login
// cookie (checked locally with the api's key); with OpenID Connect the
// session cookie or an IdP access token (JWT). Answers a Caller or the HTTP
// error to send: 401 for missing or invalid credentials, 403 for a personal
// token used from outside its networks, 503 + Retry-After
// when the authority or the IdP cannot be asked (fail closed, never "allow").
// A human is an admin when the IdP gives the configured role, or, with the
// dummy provider, when the name is in the configured list. A state-changing
// request authenticated by the session cookie must also pass the
// CrossOriginGuard (403 otherwise); bearer credentials need not.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "common/http/client_address.h"
#include "common/http/response.h"
#include "common/http/router.h"
#include "common/verify/verify_cache.h"
#include "services/api/auth/access_token.h"
#include "services/api/auth/cross_origin.h"
#include "services/api/auth/oidc/oidc_login.h"

namespace tokengate {

inline constexpr char kSessionCookie[] = "tokengate_session";

enum class CredentialKind { kPersonalToken, kAccessToken };

struct Caller {
  std::string user_name;
  CredentialKind kind = CredentialKind::kAccessToken;
  std::string token_id;  // Personal tokens only; safe to log.
  bool may_read = true;  // Logins may; personal tokens need the all:read scope.
  // A personal token's namespace patterns: lineage reads see only what lies
  // in them. Empty: everything (logins, unlimited tokens).
  std::vector<std::string> namespaces;
  std::string email;   // Humans, from the IdP; "" with the dummy provider.
  bool admin = false;  // Humans only; a personal token never carries the role.
  // Humans only: the service accounts the IdP's groups make them a manager of
  // (the group claim matched against the configured pattern).
  std::vector<std::string> managed_service_accounts;
};

struct AuthResult {
  std::optional<Caller> caller;
  HttpResponse error;  // When caller is empty.
};

class Authenticator {
 public:
  // Exactly one of `access_tokens` (dummy provider) and `oidc` is set.
  // `admin_users`: the dummy provider's admins. `trusted_proxies`: for the
  // client address sent with VerifyToken. `cross_origin` outlives this.
  Authenticator(const AccessTokenCodec* access_tokens, OidcLogin* oidc, VerifyCache* verify_cache,
                absl::Duration retry_after, const std::vector<std::string>& admin_users,
                TrustedProxies trusted_proxies, const CrossOriginGuard* cross_origin)
      : access_tokens_(access_tokens),
        oidc_(oidc),
        verify_cache_(verify_cache),
        retry_after_(retry_after),
        admin_users_(admin_users.begin(), admin_users.end()),
        trusted_proxies_(std::move(trusted_proxies)),
        cross_origin_(cross_origin) {}

  // Any credential: personal token, access token or cookie.
  AuthResult Authenticate(const HttpRequest& request) const;
  // A human login only: creating, refreshing and revoking personal tokens
  // must not be possible with a personal token (docs/design.md §6).
  AuthResult AuthenticateHuman(const HttpRequest& request) const;

 private:
  static std::optional<std::string> Bearer(const HttpRequest& request);
  AuthResult FromBearer(absl::string_view token, const HttpRequest& request) const;
  AuthResult FromAccessToken(absl::string_view token) const;
  AuthResult FromOidc(absl::StatusOr<Person> person, bool session) const;
  // 401 that tells a browser where to log in.
  HttpResponse LoginNeeded(absl::string_view message) const;

  const AccessTokenCodec* access_tokens_;
  OidcLogin* oidc_;
  VerifyCache* verify_cache_;
  const absl::Duration retry_after_;
  const absl::flat_hash_set<std::string> admin_users_;
  const TrustedProxies trusted_proxies_;
  const CrossOriginGuard* cross_origin_;
};

}  // namespace tokengate
