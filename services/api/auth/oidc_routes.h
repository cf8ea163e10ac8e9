// The browser side of the OpenID Connect login: GET /v1/auth/login sends the
// browser to the IdP (state bound to it by a short-lived cookie),
// GET /v1/auth/callback finishes the login and sets the session cookie,
// GET|POST /v1/auth/logout ends the session here and at the IdP.
#pragma once

#include "absl/time/time.h"
#include "common/http/router.h"
#include "services/api/auth/oidc/oidc_login.h"

namespace tokengate {

inline constexpr char kLoginStateCookie[] = "tokengate_login";

struct OidcRoutesDeps {
  OidcLogin* login;
  // Where the browser lands after logging out at the IdP (the api's "/").
  std::string home_url;
  absl::Duration session_lifetime;
  absl::Duration retry_after;
  bool cookie_secure = false;
};

void AddOidcRoutes(Router& router, OidcRoutesDeps deps);

}  // namespace tokengate
