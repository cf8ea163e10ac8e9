// Exposes the verify cache and the revocation watcher of an edge as
// Prometheus metrics (hits, misses, evictions, RPCs and their errors and
// latency, single-flight coalescing, revocations, watch stream state).
#pragma once

#include "common/base/metrics.h"
#include "common/verify/verify_cache.h"
#include "common/verify/verify_client.h"

namespace tokengate {

// Both must outlive `registry`'s scrapes; `watcher` may be null (watch off).
void AddVerifyMetrics(MetricsRegistry& registry, const VerifyCache* cache, const RevocationWatcher* watcher);
// The edge's reports of dead-token uses (batches sent, uses sent and dropped).
void AddDeadUseMetrics(MetricsRegistry& registry, const DeadUseReporter* reporter);

}  // namespace tokengate
