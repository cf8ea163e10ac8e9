// tokengate-api: flags/env → config → dependencies (authority channel,
// verify cache, revocation watcher, routes) → serve HTTP; SIGTERM stops
// accepting, drains running requests, stops the watcher, exits 0.
#include <memory>

#include "common/base/log.h"
#include "common/base/metrics.h"
#include "common/base/signals.h"
#include "common/config/config.h"
#include "common/config/program.h"
#include "common/http/http_server.h"
#include "common/http/monitoring_routes.h"
#include "common/http/readiness.h"
#include "common/http/static_files.h"
#include "common/http/verify_metrics.h"
#include "common/verify/verify_cache.h"
#include "common/verify/verify_client.h"
#include "services/api/api_config.h"
#include "services/api/auth/access_token.h"
#include "services/api/auth/auth_provider.h"
#include "services/api/auth/auth_routes.h"
#include "services/api/auth/authenticator.h"
#include "services/api/auth/cross_origin.h"
#include "services/api/auth/oidc_routes.h"
#include "services/api/auth/users_routes.h"
#include "services/api/human_login.h"
#include "services/api/lineage/lineage_routes.h"
#include "services/api/site/docs_routes.h"
#include "services/api/site/web_routes.h"
#include "services/api/tokens/admin_routes.h"
#include "services/api/tokens/leak_report_routes.h"
#include "services/api/tokens/personal_tokens_routes.h"

namespace tokengate {
namespace {

int Serve(const ApiConfig& config) {
  if (config.access_token_secret_generated && config.auth_provider == "dummy") {
    TG_LOG(Warning) << EnvNameOf("access_token_secret")
                    << " is not set: using a random key, so logins end with this process and "
                       "are not shared between replicas";
  }
  AuthorityChannelOptions channel_options;
  config.verify.ApplyTo(channel_options);
  config.tls.ApplyTo(channel_options);
  auto channel = MakeAuthorityChannel(channel_options);
  if (!channel.ok()) ExitOnBadConfig(channel.status().message());
  SystemClock clock;
  GrpcVerifyBackend verify_backend(*channel, config.verify.deadline);
  VerifyCacheOptions cache_options{.enabled = config.verify_cache_enabled};
  config.verify.ApplyTo(cache_options);
  DeadUseReporter dead_uses(
      {.edge = "api"}, [&](const v1::ReportTokenUsesRequest& r) { return verify_backend.ReportTokenUses(r); },
      &clock);
  dead_uses.Start();
  VerifyCache verify_cache(cache_options, &verify_backend, &clock, &dead_uses);
  std::unique_ptr<RevocationWatcher> watcher;
  if (config.verify.revocation_watch_enabled) {
    watcher = std::make_unique<RevocationWatcher>(*channel, &verify_cache);
    watcher->Start();
  } else {
    TG_LOG(Warning) << "revocation watch is off: revoked tokens work here until their cache TTL";
  }
  auto authority = v1::TokenAuthority::NewStub(*channel);

  MetricsRegistry metrics;
  // The lineage tables and the browser sessions (keycloak/oidc) share one pool.
  std::unique_ptr<PgPool> pool;
  if (!config.database_url.empty()) {
    pool = std::make_unique<PgPool>(config.database_url, config.database_pool_size);
  }
  HumanLogin human = MakeHumanLogin(config, pool.get(), &clock, &metrics);
  const CrossOriginGuard cross_origin(config.allowed_origins);
  Authenticator authenticator(human.access_tokens.get(), human.oidc_login.get(), &verify_cache,
                              config.http.retry_after, config.admin_users, config.http.trusted_proxies,
                              &cross_origin);

  AddVerifyMetrics(metrics, &verify_cache, watcher.get());
  AddDeadUseMetrics(metrics, &dead_uses);
  CounterFamily* rpc_errors = metrics.AddCounter(
      "tokengate_authority_rpc_errors_total",
      "Token management RPCs to the authority that failed, by method and gRPC code", {"method", "code"});
  StaticFiles swagger_assets(config.http.swagger_assets_dir);
  if (!swagger_assets.Has("swagger-ui-bundle.js")) {
    TG_LOG(Warning) << "no Swagger UI assets in " << config.http.swagger_assets_dir
                    << ": /docs will not load (run deploy/local/npm-assets.sh)";
  }

  StaticFiles web_files(config.web_dir);
  for (const char* file : kWebPageFiles) {
    if (!web_files.Has(file)) {
      TG_LOG(Warning) << "no " << file << " in " << config.web_dir
                      << ": the personal tokens page at / will not load";
    }
  }

  Router router({.max_body_bytes = config.max_body_bytes, .metrics = &metrics});
  if (human.oidc_login != nullptr) {
    AddOidcRoutes(router, {.login = human.oidc_login.get(),
                           .home_url = config.oidc_home_url,
                           .session_lifetime = config.access_token_lifetime,
                           .retry_after = config.http.retry_after,
                           .cookie_secure = config.cookie_secure});
  } else {
    AddAuthRoutes(router, {.provider = human.password_provider.get(),
                           .access_tokens = human.access_tokens.get(),
                           .lifetime = config.access_token_lifetime,
                           .cookie_secure = config.cookie_secure,
                           .cross_origin = &cross_origin});
  }
  AddUsersRoutes(router, &authenticator);
  const PersonalTokensRoutesDeps token_routes{.authenticator = &authenticator,
                                              .authority = authority.get(),
                                              .verify_cache = &verify_cache,
                                              .call = {.deadline = config.authority_deadline,
                                                       .retry_after = config.http.retry_after,
                                                       .rpc_errors = rpc_errors},
                                              .trusted_proxies = config.http.trusted_proxies};
  AddPersonalTokensRoutes(router, token_routes);
  AddAdminRoutes(router, token_routes);
  RateLimiter leak_report_limiter(config.leak_report_rate, &clock);
  AddLeakReportRoutes(router, {.authority = authority.get(),
                               .limiter = &leak_report_limiter,
                               .trusted_proxies = &config.http.trusted_proxies,
                               .deadline = config.authority_deadline,
                               .retry_after = config.http.retry_after});
  if (pool == nullptr) {
    TG_LOG(Warning) << EnvNameOf("database_url")
                    << " is not set: /v1/locations, /v1/datasets, /v1/jobs and /v1/runs are not served";
  } else {
    AddLineageRoutes(
        router,
        {.authenticator = &authenticator, .pool = pool.get(), .retry_after = config.http.retry_after});
  }
  AddDocsRoutes(router, &swagger_assets);
  PageGate page_gate;
  if (human.oidc_login != nullptr) {
    // A browser without a session goes straight to the identity provider.
    page_gate = [&authenticator](const HttpRequest& request) -> std::optional<HttpResponse> {
      AuthResult auth = authenticator.Authenticate(request);
      if (auth.caller || auth.error.status != 401) return std::nullopt;
      return HttpResponse{.status = 302}.WithHeader("Location", "/v1/auth/login?next=%2F");
    };
  }
  AddWebRoutes(router, &web_files, page_gate);
  AddMonitoringRoutes(router, &metrics);
  AddReadinessRoute(router, watcher.get());

  HttpServerOptions server_options{.program = "tokengate-api",
                                   .listen = config.http_listen,
                                   .threads = config.http_threads,
                                   .drain_timeout = config.shutdown_grace,
                                   .metrics = &metrics};
  config.http.ApplyTo(server_options);
  auto server = HttpServer::Start(server_options, &router);
  if (!server.ok()) {
    TG_LOG(Error) << server.status().message();
    return 1;
  }
  ServeUntilTerminated(**server);
  if (watcher != nullptr) watcher->Stop();
  TG_LOG(Info) << "stopped";
  return 0;
}

}  // namespace
}  // namespace tokengate

int main(int argc, char** argv) {
  using namespace tokengate;
  auto started =
      StartProgram({.name = "tokengate-api", .flag_names = ApiFlagNames()}, argc, argv, ApiConfigFromFlags);
  return Serve(started.config);
}
