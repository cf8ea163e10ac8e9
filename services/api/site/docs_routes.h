// API documentation served by the api itself: /openapi.json (the hand-written
// OpenAPI 3 document, embedded at build time) and Swagger UI (common/http/
// swagger_ui.h: npm's swagger-ui-dist from a local directory; no CDN, so the
// docs work offline and behind strict egress rules).
#pragma once

#include <string_view>

#include "common/http/router.h"
#include "common/http/static_files.h"

namespace tokengate {

// The embedded services/api/site/openapi.json.
std::string_view OpenApiJson();

void AddDocsRoutes(Router& router, const StaticFiles* swagger_assets);

}  // namespace tokengate
