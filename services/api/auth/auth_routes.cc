#include "services/api/auth/auth_routes.h"

#include "absl/strings/str_cat.h"
#include "common/base/json_writer.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/http/error_body.h"
#include "common/http/url_encoded.h"
#include "services/api/auth/authenticator.h"

namespace tokengate {
namespace {

std::string SessionCookie(absl::string_view value, int64_t max_age_seconds, bool secure) {
  return absl::StrCat(kSessionCookie, "=", value, "; Path=/; Max-Age=", max_age_seconds,
                      "; HttpOnly; SameSite=Lax", secure ? "; Secure" : "");
}

HttpResponse Login(const AuthRoutesDeps& deps, const HttpRequest& request) {
  if (auto refused = deps.cross_origin->CheckLoginForm(request)) return *std::move(refused);
  const UrlParams form = ParseUrlEncoded(request.body());
  std::vector<FieldIssue> issues;
  auto username = FirstValue(form, "username");
  auto password = FirstValue(form, "password");
  for (const auto& [name, value] : {std::pair{"username", &username}, std::pair{"password", &password}}) {
    if (!*value)
      issues.push_back(
          FieldIssue{.location = {"body", name}, .code = "missing", .message = "Field required"});
  }
  if (auto grant = FirstValue(form, "grant_type"); grant && *grant != "password") {
    issues.push_back(FieldIssue{.location = {"body", "grant_type"},
                                .code = "string_pattern_mismatch",
                                .message = "String should match pattern '^password$'"});
  }
  // Two names must never become one principal (a NUL cuts C strings) nor
  // forge log lines (CR/LF).
  if (username) {
    if (auto bad = CheckNoControlCharacters("username", *username); !bad.ok()) {
      issues.push_back(IssueOf(bad, {"body", "username"}, JsonQuote(*username)));
    }
  }
  if (!issues.empty()) return InvalidRequest(issues);

  auto user = deps.provider->Authenticate(*username, *password);
  if (!user.ok()) return Unauthorized(user.status().message());
  const AccessToken token = deps.access_tokens->Issue(*user);
  TG_LOG(Info) << "request_id=" << request.request_id() << " login user=" << *user;

  JsonWriter json;
  json.BeginObject();
  json.Field("access_token", token.token);
  json.Field("token_type", "bearer");
  json.Field("expires_at", token.expires_at_unix);
  json.EndObject();
  return HttpResponse::Json(200, json.Take())
      .WithHeader("Set-Cookie",
                  SessionCookie(token.token, absl::ToInt64Seconds(deps.lifetime), deps.cookie_secure))
      .NotStored();
}

HttpResponse Logout(const AuthRoutesDeps& deps) {
  return HttpResponse::NoContent().WithHeader("Set-Cookie", SessionCookie("", 0, deps.cookie_secure));
}

HttpResponse BrowserLogout(const AuthRoutesDeps& deps) {
  return HttpResponse{.status = 302}
      .WithHeader("Location", "/")
      .WithHeader("Set-Cookie", SessionCookie("", 0, deps.cookie_secure));
}

HttpResponse NoIdentityProvider(const HttpRequest&) {
  return BadRequest("The dummy auth provider has no identity provider login: use POST /v1/auth/token");
}

}  // namespace

void AddAuthRoutes(Router& router, AuthRoutesDeps deps) {
  router.Add(HttpMethod::kPost, "/v1/auth/token", [deps](const HttpRequest& r) { return Login(deps, r); });
  router.Add(HttpMethod::kPost, "/v1/auth/logout", [deps](const HttpRequest&) { return Logout(deps); });
  router.Add(HttpMethod::kGet, "/v1/auth/logout", [deps](const HttpRequest&) { return BrowserLogout(deps); });
  router.Add(HttpMethod::kGet, "/v1/auth/login", NoIdentityProvider);
  router.Add(HttpMethod::kGet, "/v1/auth/callback", NoIdentityProvider);
}

}  // namespace tokengate
