// The monitoring routes every serving binary has: liveness (/monitoring/ping,
// no auth, no dependencies: it must stay cheap and answer even when the
// authority or the database is down) and Prometheus /metrics.
#pragma once

#include "common/base/metrics.h"
#include "common/http/router.h"

namespace tokengate {

void AddMonitoringRoutes(Router& router, const MetricsRegistry* metrics);

}  // namespace tokengate
