// http2kafka: flags/env → config → authority channel, verify cache and
// revocation watcher → Kafka producer → serve on the shared HttpServer.
// SIGTERM: new events get 503, queued events get the grace period to reach
// Kafka (each waiting client gets its verdict), the answers are written, then
// connections close and the process exits 0.
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/base/metrics.h"
#include "common/base/signals.h"
#include "common/config/config.h"
#include "common/config/program.h"
#include "common/http/http_server.h"
#include "common/http/readiness.h"
#include "common/http/router.h"
#include "common/http/static_files.h"
#include "common/http/verify_metrics.h"
#include "common/verify/verify_cache.h"
#include "common/verify/verify_client.h"
#include "services/http2kafka/events_route.h"
#include "services/http2kafka/http2kafka_config.h"
#include "services/http2kafka/ingest_metrics.h"
#include "services/http2kafka/kafka_publisher.h"
#include "services/http2kafka/service_routes.h"

namespace tokengate {
namespace {

// Bodies of the non-event routes (all GETs) are never large.
constexpr size_t kOtherRoutesMaxBody = 64 << 10;
// After Kafka's verdicts: time to write the last answers.
constexpr absl::Duration kWireDrain = absl::Seconds(2);

int Serve(const Http2KafkaConfig& config) {
  AuthorityChannelOptions channel_options;
  config.verify.ApplyTo(channel_options);
  config.tls.ApplyTo(channel_options);
  auto channel = MakeAuthorityChannel(channel_options);
  if (!channel.ok()) ExitOnBadConfig(channel.status().message());
  auto publisher = KafkaPublisher::Create(config.kafka);
  if (!publisher.ok()) ExitOnBadConfig(publisher.status().message());

  GrpcVerifyBackend backend(*channel, config.verify.deadline);
  SystemClock clock;
  VerifyCacheOptions cache_options;
  config.verify.ApplyTo(cache_options);
  DeadUseReporter dead_uses(
      {.edge = "http2kafka"}, [&](const v1::ReportTokenUsesRequest& r) { return backend.ReportTokenUses(r); },
      &clock);
  dead_uses.Start();
  VerifyCache verify_cache(cache_options, &backend, &clock, &dead_uses);
  RevocationWatcher watcher(*channel, &verify_cache);
  if (config.verify.revocation_watch_enabled) watcher.Start();

  MetricsRegistry metrics;
  AddVerifyMetrics(metrics, &verify_cache, config.verify.revocation_watch_enabled ? &watcher : nullptr);
  AddDeadUseMetrics(metrics, &dead_uses);
  IngestMetrics ingest(&metrics, publisher->get());
  EventsRoute events(EventsRouteOptions{.max_body_bytes = config.max_body_bytes,
                                        .delivery_mode = config.delivery_mode,
                                        .retry_after = config.http.retry_after,
                                        .trusted_proxies = config.http.trusted_proxies},
                     &verify_cache, publisher->get(), &ingest);
  StaticFiles swagger_assets(config.http.swagger_assets_dir);
  if (!swagger_assets.Has("swagger-ui-bundle.js")) {
    TG_LOG(Warning) << "no swagger-ui-dist in " << config.http.swagger_assets_dir
                    << ": /docs will not render (deploy/local/npm-assets.sh installs it)";
  }
  Router router(RouterOptions{.max_body_bytes = kOtherRoutesMaxBody, .metrics = &metrics});
  AddServiceRoutes(router, &metrics, &swagger_assets);
  AddReadinessRoute(router, config.verify.revocation_watch_enabled ? &watcher : nullptr);

  events.AddTo(router);

  HttpServerOptions server_options{.program = "http2kafka",
                                   .listen = config.http_listen,
                                   .threads = config.http_threads,
                                   .max_receiving_bytes = config.http_receiving_budget_bytes,
                                   .drain_timeout = kWireDrain,
                                   .metrics = &metrics};
  config.http.ApplyTo(server_options);
  auto server = HttpServer::Start(server_options, &router);
  if (!server.ok()) {
    TG_LOG(Error) << server.status().message();
    return 1;
  }

  const int signal = WaitForTerminationSignal();
  TG_LOG(Info) << "signal " << signal << ": draining";
  events.StopAccepting();
  const int undelivered = (*publisher)->Close(config.shutdown_grace);
  if (undelivered > 0) {
    TG_LOG(Warning) << undelivered << " events did not reach Kafka within the grace period; "
                    << "their clients got 503";
  }
  (*server)->Shutdown();
  watcher.Stop();
  TG_LOG(Info) << "stopped";
  return 0;
}

}  // namespace
}  // namespace tokengate

int main(int argc, char** argv) {
  using namespace tokengate;
  auto started = StartProgram({.name = "http2kafka", .flag_names = Http2KafkaFlagNames()}, argc, argv,
                              Http2KafkaConfigFromFlags);
  return Serve(started.config);
}
