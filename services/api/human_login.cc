#include "services/api/human_login.h"

#include "common/base/log.h"
#include "common/config/config.h"
#include "services/api/auth/oidc/idp_http.h"

namespace tokengate {

namespace {

// Ended sessions and abandoned logins are only garbage (a lookup checks the
// times itself), so pruning can be rare.
constexpr absl::Duration kSessionPruneInterval = absl::Minutes(5);

}  // namespace

HumanLogin MakeHumanLogin(const ApiConfig& config, PgPool* pool, const Clock* clock,
                          MetricsRegistry* metrics) {
  HumanLogin out;
  if (config.auth_provider == "dummy") {
    auto provider = MakeAuthProvider(config.auth_provider);
    if (!provider.ok()) ExitOnBadConfig(provider.status().message());
    out.password_provider = *std::move(provider);
    out.access_tokens =
        std::make_unique<AccessTokenCodec>(config.access_token_secret, config.access_token_lifetime, clock);
    if (!IsLoopbackHost(ParseHostPort(config.http_listen)->first)) {
      TG_LOG(Warning) << "DANGER: the dummy auth provider lets ANYONE who reaches " << config.http_listen
                      << " log in as ANY user (" << EnvNameOf("auth_allow_dummy") << "=true)";
    }
    return out;
  }
  InitIdpHttp();
  out.oidc_client =
      std::make_unique<OidcClient>(OidcSettings{.issuer = config.oidc_issuer,
                                                .client_id = config.oidc_client_id,
                                                .client_secret = config.oidc_client_secret,
                                                .redirect_uri = config.oidc_redirect_uri,
                                                .scope = config.oidc_scope,
                                                .http = {.verify_tls = config.oidc_verify_tls,
                                                         .ca_file = config.oidc_ca_file,
                                                         .timeout = config.oidc_timeout},
                                                .clock_skew = config.oidc_clock_skew,
                                                .jwks_min_refresh = config.oidc_jwks_min_refresh,
                                                .admin_claim = config.admin_claim,
                                                .admin_role = config.admin_role,
                                                .group_claim = config.service_account_group_claim,
                                                .group_pattern = config.service_account_group_pattern},
                                   clock);
  // Not fatal: personal tokens work without the IdP; logins answer 503 until it is back.
  if (auto endpoints = out.oidc_client->Endpoints(); !endpoints.ok()) {
    TG_LOG(Warning) << "identity provider not reachable yet (" << endpoints.status().message()
                    << "): logins fail with 503 until it is";
  }
  if (config.session_secret_generated) {
    TG_LOG(Warning) << EnvNameOf("session_secret")
                    << " is not set: using a random key, so sessions end with this process and "
                       "are not shared between replicas";
  }
  out.sessions = std::make_unique<SessionStore>(pool, config.session_secret, SessionStoreLimits{}, clock);
  out.sessions->StartPruning(kSessionPruneInterval);
  out.oidc_login = std::make_unique<OidcLogin>(out.oidc_client.get(), out.sessions.get(),
                                               config.access_token_lifetime, clock, metrics);
  return out;
}

}  // namespace tokengate
