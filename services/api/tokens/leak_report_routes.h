// POST /v1/personal-tokens/revoke: anyone who finds a leaked token reports
// it by its content, without logging in. The authority revokes each valid
// one and tells its owner. The answer is one fixed 200 body whatever the
// contents were (valid, garbage, expired, revoked, another issuer's), so it
// cannot be used to test tokens. Rate-limited per client address (429 with
// Retry-After); bad JSON or shape is 422 like the rest of the api.
#pragma once

#include "absl/time/time.h"
#include "common/http/client_address.h"
#include "common/http/router.h"
#include "services/api/auth/rate_limiter.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate {

struct LeakReportRoutesDeps {
  v1::TokenAuthority::StubInterface* authority;
  RateLimiter* limiter;
  const TrustedProxies* trusted_proxies;
  absl::Duration deadline;
  absl::Duration retry_after;  // For 503s (authority down).
};

// The one answer to an accepted report.
inline constexpr char kLeakReportAnswer[] =
    R"({"message":"Thank you. Every reported content that is a valid personal token is revoked now, )"
    R"(and its owner is told."})";

void AddLeakReportRoutes(Router& router, LeakReportRoutesDeps deps);

}  // namespace tokengate
