#include "services/api/auth/oidc_routes.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "common/base/json_writer.h"
#include "common/base/log.h"
#include "common/http/error_body.h"
#include "services/api/auth/authenticator.h"

namespace tokengate {
namespace {

constexpr int64_t kLoginStateSeconds = 600;

std::string Cookie(absl::string_view name, absl::string_view value, absl::string_view path,
                   int64_t max_age_seconds, bool secure) {
  return absl::StrCat(name, "=", value, "; Path=", path, "; Max-Age=", max_age_seconds,
                      "; HttpOnly; SameSite=Lax", secure ? "; Secure" : "");
}

HttpResponse Redirect(absl::string_view location) {
  return HttpResponse{.status = 302}.WithHeader("Location", location).NotStored();
}

HttpResponse LoginFailed(const absl::Status& status, absl::Duration retry_after) {
  if (absl::IsUnavailable(status)) {
    TG_LOG(Warning) << "login impossible: " << status.message();
    return ServiceUnavailable(
        "Identity provider is unavailable: logging in is not possible right now (personal tokens still work)",
        retry_after);
  }
  return Unauthorized("Login failed", std::string(status.message()));
}

bool SameText(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

HttpResponse Login(const OidcRoutesDeps& deps, const HttpRequest& request) {
  auto start = deps.login->Start(FirstValue(request.query(), "next").value_or("/"));
  if (!start.ok()) return LoginFailed(start.status(), deps.retry_after);
  return Redirect(start->redirect_url)
      .WithHeader("Set-Cookie", Cookie(kLoginStateCookie, start->state, "/v1/auth", kLoginStateSeconds,
                                       deps.cookie_secure));
}

HttpResponse Callback(const OidcRoutesDeps& deps, const HttpRequest& request) {
  const UrlParams& query = request.query();
  if (auto error = FirstValue(query, "error")) {
    return Unauthorized("Login failed", absl::StrCat("Identity provider answered '", *error, "'"));
  }
  auto code = FirstValue(query, "code");
  auto state = FirstValue(query, "state");
  if (!code || !state || code->empty() || state->empty()) {
    return BadRequest("Login callback needs 'code' and 'state'");
  }
  // The state must be the one this browser started with (login CSRF, RFC 6749 §10.12).
  auto bound = request.Cookie(kLoginStateCookie);
  if (!bound || !SameText(*bound, *state)) {
    return Unauthorized("Login failed", "Login state does not match this browser: start the login again");
  }
  auto done = deps.login->Finish(*state, *code);
  if (!done.ok()) return LoginFailed(done.status(), deps.retry_after);
  TG_LOG(Info) << "request_id=" << request.request_id() << " login user=" << done->user_name;
  return Redirect(done->next)
      .WithHeader("Set-Cookie", Cookie(kSessionCookie, done->session_id, "/",
                                       absl::ToInt64Seconds(deps.session_lifetime), deps.cookie_secure));
}

HttpResponse Logout(const OidcRoutesDeps& deps, const HttpRequest& request, bool browser) {
  std::string next = deps.home_url;
  if (auto session = request.Cookie(kSessionCookie); session && !session->empty()) {
    next = deps.login->Logout(*session, deps.home_url);
  }
  HttpResponse response = Redirect(next);
  if (!browser) {
    // The page's script: it sends the browser on to the IdP itself.
    JsonWriter json;
    json.BeginObject();
    json.Field("logout_url", next);
    json.EndObject();
    response = HttpResponse::Json(200, json.Take()).NotStored();
  }
  return response.WithHeader("Set-Cookie", Cookie(kSessionCookie, "", "/", 0, deps.cookie_secure));
}

}  // namespace

void AddOidcRoutes(Router& router, OidcRoutesDeps deps) {
  router.Add(HttpMethod::kPost, "/v1/auth/token", [](const HttpRequest&) {
    return BadRequest(
        "Password login is off: log in through the identity provider at /v1/auth/login, "
        "or use a personal token");
  });
  router.Add(HttpMethod::kGet, "/v1/auth/login", [deps](const HttpRequest& r) { return Login(deps, r); });
  router.Add(HttpMethod::kGet, "/v1/auth/callback",
             [deps](const HttpRequest& r) { return Callback(deps, r); });
  router.Add(HttpMethod::kGet, "/v1/auth/logout",
             [deps](const HttpRequest& r) { return Logout(deps, r, true); });
  router.Add(HttpMethod::kPost, "/v1/auth/logout",
             [deps](const HttpRequest& r) { return Logout(deps, r, false); });
}

}  // namespace tokengate
