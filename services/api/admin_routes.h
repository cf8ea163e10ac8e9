// /v1/admin: every user's tokens, and offboarding (all of one user's active
// tokens revoked in one call). Admins only: a human login whose IdP role (or
// the dummy provider's list) says admin; anyone else gets 403, no credential
// 401. The authority audits both with the admin as actor. Revoked ids are
// dropped from this edge's cache at once; http2kafka learns them from
// WatchRevocations.
#pragma once

#include "common/http/client_address.h"
#include "common/http/router.h"
#include "common/verify_cache.h"
#include "services/api/authenticator.h"
#include "services/api/authority_call.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate {

struct AdminRoutesDeps {
  const Authenticator* authenticator;
  v1::TokenAuthority::StubInterface* authority;
  VerifyCache* verify_cache;
  AuthorityCall call;
  TrustedProxies trusted_proxies;
};

void AddAdminRoutes(Router& router, AdminRoutesDeps deps);

}  // namespace tokengate
