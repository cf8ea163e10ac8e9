// The audit trail's Actor for every management call the api forwards: who
// (login name, email and admin flag from the identity provider) and from
// where (client address, user agent, request id). Never a credential.
#pragma once

#include "common/http/client_address.h"
#include "common/http/router.h"
#include "services/api/auth/authenticator.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

v1::Actor ActorOf(const Caller& caller, const HttpRequest& request, const TrustedProxies& trusted);

}  // namespace tokengate
