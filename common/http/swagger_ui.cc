#include "common/http/swagger_ui.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/http/error_body.h"
#include "common/http/page_security.h"

namespace tokengate {
namespace {

constexpr char kPage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>$title - Swagger UI</title>
  <link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
  <link rel="icon" type="image/png" href="/static/swagger-ui/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-initializer.js"></script>
</body>
</html>
)html";

// validatorUrl null: the default sends the document's URL to
// validator.swagger.io (and the policy would refuse the badge anyway).
constexpr char kInitializer[] = R"js(window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
)js";

bool IsPageFile(absl::string_view file) {
  for (const char* name : kSwaggerUiFiles) {
    if (file == name) return true;
  }
  return false;
}

}  // namespace

void AddSwaggerUiRoutes(Router& router, absl::string_view title, const StaticFiles* assets) {
  // Titles are ours (program names), never a client's: no escaping needed.
  const std::string page = absl::StrReplaceAll(kPage, {{"$title", title}});
  router.Add(HttpMethod::kGet, "/docs", [page](const HttpRequest&) {
    HttpResponse response = HttpResponse::Text(200, "text/html; charset=utf-8", page);
    return WithPageSecurity(response);
  });
  router.Add(HttpMethod::kGet, "/docs/swagger-initializer.js", [](const HttpRequest&) {
    return HttpResponse::Text(200, "application/javascript; charset=utf-8", kInitializer)
        .WithHeader("X-Content-Type-Options", "nosniff");
  });
  router.Add(HttpMethod::kGet, "/static/swagger-ui/{file}", [assets](const HttpRequest& request) {
    const std::string file = request.PathParam("file");
    if (!IsPageFile(file)) return NotFound("Not found", file);
    return assets->Serve(file);
  });
}

}  // namespace tokengate
