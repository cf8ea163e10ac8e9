#include "services/api/site/docs_routes.h"

#include "common/http/swagger_ui.h"

namespace tokengate {

void AddDocsRoutes(Router& router, const StaticFiles* swagger_assets) {
  router.Add(HttpMethod::kGet, "/openapi.json",
             [](const HttpRequest&) { return HttpResponse::Json(200, std::string(OpenApiJson())); });
  AddSwaggerUiRoutes(router, "tokengate API", swagger_assets);
}

}  // namespace tokengate
