// /v1/personal-tokens: list and a token's audit history (any credential, the
// owner's tokens only), create/refresh/revoke (human login only), forwarded to
// the token authority with a deadline and the Actor for its audit trail.
// Refresh and revoke also drop the old token from this edge's verify cache at
// once; the other edges learn it from WatchRevocations.
#pragma once

#include "common/http/client_address.h"
#include "common/http/router.h"
#include "common/verify/verify_cache.h"
#include "services/api/auth/authenticator.h"
#include "services/api/tokens/authority_call.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate {

struct PersonalTokensRoutesDeps {
  const Authenticator* authenticator;
  v1::TokenAuthority::StubInterface* authority;
  VerifyCache* verify_cache;
  AuthorityCall call;
  TrustedProxies trusted_proxies;  // For the Actor's client address.
};

void AddPersonalTokensRoutes(Router& router, PersonalTokensRoutesDeps deps);

}  // namespace tokengate
