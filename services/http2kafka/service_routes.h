// The edge's routes besides the events themselves: liveness
// (/monitoring/ping, no auth, no dependencies), Prometheus /metrics, the
// OpenAPI document and Swagger UI (/docs, assets served from a local
// swagger-ui-dist under /static/swagger-ui/, "Authorize" with HTTPBearer).
#pragma once

#include <string>

#include "common/base/metrics.h"
#include "common/http/router.h"
#include "common/http/static_files.h"

namespace tokengate {

// The OpenAPI 3.1 document of the edge, as served on /openapi.json.
const std::string& Http2KafkaOpenApiJson();

// `metrics` and `swagger_assets` must outlive the router.
void AddServiceRoutes(Router& router, const MetricsRegistry* metrics, const StaticFiles* swagger_assets);

}  // namespace tokengate
