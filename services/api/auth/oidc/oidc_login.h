// Human login through an OpenID Connect provider, without HTTP: starting
// and finishing the code flow (state, nonce, PKCE), sessions that refresh
// their IdP tokens when the access token is due (a refused refresh ends
// the session), logout here and at the IdP, and IdP access tokens sent as
// bearer tokens. Errors: UNAUTHENTICATED (→ 401), UNAVAILABLE (IdP or the
// session table down → 503).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/metrics.h"
#include "services/api/auth/oidc/oidc_client.h"
#include "services/api/auth/oidc/session_store.h"

namespace tokengate {

// The person behind a session or an IdP access token. `email` and `admin`
// come from the IdP's claims (re-read whenever the session refreshes).
struct Person {
  std::string user_name;
  std::string email;
  bool admin = false;
  std::vector<std::string> managed_service_accounts;  // Through IdP groups.
};

struct LoginStart {
  std::string state;         // Also bound to the browser by a cookie.
  std::string redirect_url;  // The IdP's authorization endpoint.
};

struct LoginDone {
  std::string session_id;
  std::string user_name;
  std::string next;
};

class OidcLogin {
 public:
  // `metrics` may be null.
  OidcLogin(OidcClient* client, SessionStore* store, absl::Duration session_lifetime, const Clock* clock,
            MetricsRegistry* metrics);

  // `next`: a path of this api to return to; anything else becomes "/".
  absl::StatusOr<LoginStart> Start(absl::string_view next);
  // The browser came back with `code` for `state` (already matched with its cookie).
  absl::StatusOr<LoginDone> Finish(absl::string_view state, absl::string_view code);
  // The person of a session cookie; refreshes the IdP tokens when they are due.
  absl::StatusOr<Person> SessionUser(absl::string_view session_id);
  // The person of an IdP access token sent as "Authorization: Bearer".
  absl::StatusOr<Person> BearerUser(absl::string_view jwt);
  // Ends the session here and at the IdP (best effort there). Returns where
  // the browser should go to end its IdP session too, then land on `back_to`.
  std::string Logout(absl::string_view session_id, absl::string_view back_to);

 private:
  void Count(CounterFamily* family, absl::string_view outcome);
  // Email and admin flag from the token endpoint's answer: the ID token's
  // claims (`id_claims`, already verified), then the access token's when it
  // is a JWT for this client about the same person (Keycloak puts realm roles
  // only there by default). A role in either counts, and so do the groups of either.
  void ReadRoles(const TokenSet& tokens, const absl::StatusOr<TokenClaims>& id_claims, Session& session);

  OidcClient* client_;
  SessionStore* store_;
  const absl::Duration session_lifetime_;
  const Clock* clock_;
  CounterFamily* logins_ = nullptr;
  CounterFamily* refreshes_ = nullptr;
};

// `next` when it is a path on this host ("/…", not "//…" nor "/\…"), else "/".
std::string SafeNextPath(absl::string_view next);

}  // namespace tokengate
