// The human login the config names, built once at start: the dummy password
// provider with the api's own access tokens, or an OpenID Connect relying
// party (client, session store in PostgreSQL, login flow). Exactly one half
// is set.
#pragma once

#include <memory>

#include "common/base/clock.h"
#include "common/base/metrics.h"
#include "common/pg/postgres.h"
#include "services/api/api_config.h"
#include "services/api/auth/access_token.h"
#include "services/api/auth/auth_provider.h"
#include "services/api/auth/oidc/oidc_client.h"
#include "services/api/auth/oidc/oidc_login.h"
#include "services/api/auth/oidc/session_store.h"

namespace tokengate {

struct HumanLogin {
  std::unique_ptr<AuthProvider> password_provider;
  std::unique_ptr<AccessTokenCodec> access_tokens;
  std::unique_ptr<OidcClient> oidc_client;
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<OidcLogin> oidc_login;
};

// `config` is validated (ApiConfigFromFlags); an unreachable IdP is only logged.
// `pool` (on config.database_url) holds the sessions; only dummy may pass null.
HumanLogin MakeHumanLogin(const ApiConfig& config, PgPool* pool, const Clock* clock,
                          MetricsRegistry* metrics);

}  // namespace tokengate
