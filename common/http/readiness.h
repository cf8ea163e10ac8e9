// /monitoring/ready for both edges: ready while revocations reach this edge
// (the WatchRevocations stream is open), so an orchestrator sends traffic
// only to edges that would refuse a revoked token. Liveness is /monitoring/ping.
#pragma once

#include "common/http/router.h"
#include "common/verify/verify_client.h"

namespace tokengate {

// `watcher` may be null (watch turned off): then the edge is always ready.
void AddReadinessRoute(Router& router, const RevocationWatcher* watcher);

}  // namespace tokengate
