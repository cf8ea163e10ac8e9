// GET /v1/locations, /v1/datasets, /v1/jobs, /v1/runs: the lineage the
// consumer wrote, in Data.Rentgen's shapes (services/api/lineage/). Any
// credential may read: a login, or a personal token with all:read.
#pragma once

#include "absl/time/time.h"
#include "common/http/router.h"
#include "common/pg/postgres.h"
#include "services/api/auth/authenticator.h"

namespace tokengate {

struct LineageRoutesDeps {
  const Authenticator* authenticator;
  PgPool* pool;
  absl::Duration retry_after;
};

void AddLineageRoutes(Router& router, const LineageRoutesDeps& deps);

}  // namespace tokengate
