#include "services/api/docs_routes.h"

namespace tokengate {
namespace {

using Method = Pistache::Http::Method;

// Swagger UI's page, loading only the api's own copies of its assets. The
// persisted authorization keeps the pasted token across reloads.
constexpr char kDocsPage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>tokengate API - Swagger UI</title>
  <link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
  <link rel="icon" type="image/png" href="/static/swagger-ui/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
)html";

}  // namespace

void AddDocsRoutes(Router& router, const StaticFiles* swagger_assets) {
  router.Add(Method::Get, "/openapi.json", [](const HttpRequest&) {
    return HttpResponse::Json(200, std::string(OpenApiJson()));
  });
  router.Add(Method::Get, "/docs", [](const HttpRequest&) {
    return HttpResponse::Text(200, "text/html; charset=utf-8", kDocsPage);
  });
  router.Add(Method::Get, "/static/swagger-ui/{file}", [swagger_assets](const HttpRequest& request) {
    return swagger_assets->Serve(request.PathParam("file"));
  });
}

}  // namespace tokengate
