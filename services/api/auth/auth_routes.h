// Human login with a password provider (dummy): POST /v1/auth/token (OAuth2
// password grant form, checked by the AuthProvider) answers an access token
// and sets it as an HttpOnly cookie for browsers (a post from another origin's
// page is refused: see cross_origin.h); POST|GET /v1/auth/logout
// clears that cookie. The identity provider routes answer 400 here.
#pragma once

#include "absl/time/time.h"
#include "common/http/router.h"
#include "services/api/auth/access_token.h"
#include "services/api/auth/auth_provider.h"
#include "services/api/auth/cross_origin.h"

namespace tokengate {

struct AuthRoutesDeps {
  const AuthProvider* provider;
  const AccessTokenCodec* access_tokens;
  absl::Duration lifetime;
  bool cookie_secure = false;
  // The login form refuses posts from other origins (login CSRF).
  const CrossOriginGuard* cross_origin;  // Required.
};

void AddAuthRoutes(Router& router, AuthRoutesDeps deps);

}  // namespace tokengate
