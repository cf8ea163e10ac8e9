// GET /v1/users/me: who the credential speaks for ({"name": …}); any
// credential. The api's hottest authorized route, so it does nothing else.
#pragma once

#include "common/http/router.h"
#include "services/api/auth/authenticator.h"

namespace tokengate {

void AddUsersRoutes(Router& router, const Authenticator* authenticator);

}  // namespace tokengate
