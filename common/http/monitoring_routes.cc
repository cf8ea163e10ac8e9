#include "common/http/monitoring_routes.h"

namespace tokengate {

void AddMonitoringRoutes(Router& router, const MetricsRegistry* metrics) {
  router.Add(HttpMethod::kGet, "/monitoring/ping",
             [](const HttpRequest&) { return HttpResponse::Json(200, R"({"status":"ok"})"); });
  router.Add(HttpMethod::kGet, "/metrics", [metrics](const HttpRequest&) {
    return HttpResponse::Text(200, "text/plain; version=0.0.4; charset=utf-8", metrics->RenderText());
  });
}

}  // namespace tokengate
