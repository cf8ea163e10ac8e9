#include "services/api/site/web_routes.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/http/page_security.h"

namespace tokengate {
namespace {

// Revalidate on every load, so a new page and its script arrive together
// after an upgrade instead of a day later.
HttpResponse ServeFresh(const StaticFiles* web_files, const char* file) {
  HttpResponse response = web_files->Serve(file);
  for (auto& [name, value] : response.headers) {
    if (name == "Cache-Control") value = "no-cache";
  }
  if (response.status == 200) WithPageSecurity(response);
  return response;
}

}  // namespace

void AddWebRoutes(Router& router, const StaticFiles* web_files, PageGate gate) {
  router.Add(HttpMethod::kGet, "/", [web_files, gate](const HttpRequest& request) {
    if (gate) {
      if (std::optional<HttpResponse> answer = gate(request)) return *std::move(answer);
    }
    return ServeFresh(web_files, "index.html");
  });
  for (const char* file : kWebPageFiles) {
    router.Add(HttpMethod::kGet, absl::StrCat("/", file),
               [web_files, file](const HttpRequest&) { return ServeFresh(web_files, file); });
  }
}

}  // namespace tokengate
