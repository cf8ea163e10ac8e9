// Cross-site request forgery defence for what a browser sends on its own
// authority: the session cookie and the login form. A state-changing request
// (POST, PUT, PATCH, DELETE) must come from the api's own pages: the browser
// says `Sec-Fetch-Site: same-origin`, or sends an `Origin` equal to the api's
// own (the Host it was reached by) or to one of the configured allowed
// origins. A JSON body must be declared application/json, which a page of
// another origin cannot send without a CORS preflight the api never grants.
// SameSite=Lax alone lets same-site origins (another port, a sibling
// subdomain) through. This class knows nothing of credentials: the
// Authenticator and the login route decide when to ask it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http/response.h"
#include "common/http/router.h"

namespace tokengate {

class CrossOriginGuard {
 public:
  // `allowed_origins`: further origins ("https://ui.example.com", as
  // ParseAllowedOrigins returns them) whose pages may use the session.
  explicit CrossOriginGuard(const std::vector<std::string>& allowed_origins = {})
      : allowed_(allowed_origins.begin(), allowed_origins.end()) {}

  // A request that carries the session cookie: a state-changing one is
  // refused (403) unless the browser shows it comes from the api's own pages,
  // or when it has a body that is not declared application/json.
  std::optional<HttpResponse> CheckSessionRequest(const HttpRequest& request) const;
  // A login form post: refused (403) when the browser shows it comes from
  // another origin. curl and scripts send neither header and are served.
  std::optional<HttpResponse> CheckLoginForm(const HttpRequest& request) const;

 private:
  enum class Verdict { kSameOrigin, kCrossOrigin, kNoBrowserHeaders };
  // `why`: for a refusal's details.
  Verdict Judge(const HttpRequest& request, std::string& why) const;

  const absl::flat_hash_set<std::string> allowed_;
};

// "https://a.example, http://127.0.0.1:3000" → the origins, lower-cased;
// an entry that is not scheme://host[:port] (http or https) is an error
// naming it.
absl::StatusOr<std::vector<std::string>> ParseAllowedOrigins(absl::string_view list);

}  // namespace tokengate
