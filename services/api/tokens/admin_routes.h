// /v1/admin: every user's tokens, and offboarding (all of one user's active
// tokens revoked in one call). Admins only: a human login whose IdP role (or
// the dummy provider's list) says admin; anyone else gets 403, no credential
// 401. The authority audits both with the admin as actor. Revoked ids are
// dropped from this edge's cache at once; http2kafka learns them from
// WatchRevocations.
#pragma once

#include "common/http/router.h"
#include "services/api/tokens/personal_tokens_routes.h"

namespace tokengate {

// The same dependencies as the owners' routes.
void AddAdminRoutes(Router& router, PersonalTokensRoutesDeps deps);

}  // namespace tokengate
