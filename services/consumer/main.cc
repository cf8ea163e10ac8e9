// lineage-consumer: flags/env → config → HTTP port (ping, metrics) → database
// and side topic (waited for, with back-off) → consume until SIGTERM, which
// writes and commits the batch in hand, leaves the group and exits 0.
// `lineage-consumer migrate` applies the SQL migrations and exits.
#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "common/base/log.h"
#include "common/base/signals.h"
#include "common/config/config.h"
#include "common/config/program.h"
#include "common/http/http_server.h"
#include "common/http/monitoring_routes.h"
#include "common/http/router.h"
#include "common/pg/migrations.h"
#include "services/consumer/consumer_config.h"
#include "services/consumer/consumer_metrics.h"
#include "services/consumer/kafka_consumer.h"
#include "services/consumer/lineage_database.h"
#include "services/consumer/malformed_sink.h"

namespace tokengate {
namespace {

// Calls `attempt` until it succeeds or `stop` is set; false on stop.
template <typename Attempt>
bool RetryUntilStopped(const ConsumerConfig& config, const std::atomic<bool>& stop, absl::string_view what,
                       Attempt attempt) {
  absl::Duration backoff = config.retry_initial;
  while (!stop) {
    absl::Status status = attempt();
    if (status.ok()) return true;
    TG_LOG(Warning) << what << ": " << status.message() << "; retrying in " << absl::FormatDuration(backoff);
    const absl::Time end = absl::Now() + backoff;
    while (!stop && absl::Now() < end) absl::SleepFor(absl::Milliseconds(50));
    backoff = std::min(backoff * 2, config.retry_max);
  }
  return false;
}

int Serve(const ConsumerConfig& config) {
  MetricsRegistry registry;
  ConsumerMetrics metrics(&registry);
  // The consumer has no API: its HTTP port is for probes and scrapes only.
  Router router(RouterOptions{.metrics = &registry});
  AddMonitoringRoutes(router, &registry);
  auto http =
      HttpServer::Start({.program = "lineage-consumer", .listen = config.http_listen, .threads = 1}, &router);
  if (!http.ok()) {
    TG_LOG(Error) << http.status().message();
    return 1;
  }

  // Static and detached: the watcher may still sit in sigwait at exit.
  static std::atomic<bool> stop{false};
  std::thread([] {
    const int signal = WaitForTerminationSignal();
    TG_LOG(Info) << "signal " << signal << ": finishing the batch in hand";
    stop = true;
  }).detach();

  LineageDatabase database(config.database_url);
  auto sink =
      MalformedSink::Create(config.kafka_bootstrap_servers, config.kafka_security, config.malformed_topic);
  if (!sink.ok()) ExitOnBadConfig(sink.status().message());
  if (!RetryUntilStopped(config, stop, "database", [&] { return database.Connect(); }) ||
      !RetryUntilStopped(config, stop, "malformed-message topic",
                         [&] { return (*sink)->EnsureTopic(absl::Seconds(10)); })) {
    TG_LOG(Info) << "stopped before consuming";
    return 0;
  }
  auto consumer = KafkaLineageConsumer::Create(config, &database, sink->get(), &metrics);
  if (!consumer.ok()) ExitOnBadConfig(consumer.status().message());
  TG_LOG(Info) << "consuming " << config.kafka_topic << " as group " << config.kafka_group_id;
  (*consumer)->Run(stop);
  consumer->reset();
  (*http)->Shutdown();
  TG_LOG(Info) << "stopped";
  return 0;
}

}  // namespace
}  // namespace tokengate

int main(int argc, char** argv) {
  using namespace tokengate;
  auto [command, config] =
      StartProgram({.name = "lineage-consumer", .flag_names = ConsumerFlagNames(), .commands = {"migrate"}},
                   argc, argv, ConsumerConfigFromFlags);
  if (command == "migrate") {
    LineageDatabase database(config.database_url);
    auto status = database.Connect();
    if (!status.ok()) {
      TG_LOG(Error) << status.message();
      return 1;
    }
    return 0;
  }
  return Serve(config);
}
