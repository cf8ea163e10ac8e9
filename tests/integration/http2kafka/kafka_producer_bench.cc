// The ceiling for http2kafka_bench.sh: librdkafka producing one event file
// as fast as it can, with the edge's producer settings (KafkaPublisher:
// idempotent, acks=all, same linger and compression, same key and headers),
// at most --window events unacknowledged. Prints one JSON line:
// {"events": N, "seconds": S, "events_per_second": R, "mb_per_second": M, "p50_ms": …, "p99_ms": …}.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "services/http2kafka/event_validator.h"
#include "services/http2kafka/kafka_publisher.h"

ABSL_FLAG(std::string, bootstrap, "127.0.0.1:9092", "Kafka bootstrap servers");
ABSL_FLAG(std::string, topic, "", "topic to write to");
ABSL_FLAG(std::string, event_file, "", "the event (JSON) to send over and over");
ABSL_FLAG(int, seconds, 10, "how long to produce");
ABSL_FLAG(int, window, 1024, "most events unacknowledged at once");
ABSL_FLAG(int, linger_ms, 2, "as TOKENGATE_KAFKA_LINGER_MS");
ABSL_FLAG(std::string, compression, "lz4", "as TOKENGATE_KAFKA_COMPRESSION");

namespace tokengate {
namespace {

int Run() {
  std::ifstream in(absl::GetFlag(FLAGS_event_file), std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  const std::string event = content.str();
  EventValidator validator;
  const EventCheck check = validator.Check(event);
  if (event.empty() || !check.ok()) {
    std::cerr << "--event_file must hold a valid RunEvent\n";
    return 2;
  }
  auto publisher =
      KafkaPublisher::Create(KafkaPublisherOptions{.bootstrap_servers = absl::GetFlag(FLAGS_bootstrap),
                                                   .topic = absl::GetFlag(FLAGS_topic),
                                                   .linger_ms = absl::GetFlag(FLAGS_linger_ms),
                                                   .max_message_bytes = 10 << 20,
                                                   .compression = absl::GetFlag(FLAGS_compression)});
  if (!publisher.ok()) {
    std::cerr << publisher.status() << "\n";
    return 2;
  }

  const int window = absl::GetFlag(FLAGS_window);
  std::mutex mutex;
  std::condition_variable room;
  int unacknowledged = 0;
  uint64_t failed = 0;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 22);

  const absl::Time start = absl::Now();
  const absl::Time stop = start + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  uint64_t sent = 0;
  while (absl::Now() < stop) {
    {
      std::unique_lock lock(mutex);
      room.wait(lock, [&] { return unacknowledged < window; });
      ++unacknowledged;
    }
    KafkaMessage message{.value = event,
                         .key = check.kafka_key,
                         .timestamp_ms = check.timestamp_ms,
                         .headers = {{"content-type", "application/json"},
                                     {"correlation_id", std::to_string(sent)},
                                     {"reported-by-user-name", "bench"}}};
    absl::Status status = (*publisher)->Publish(std::move(message), [&](const DeliveryReport& report) {
      std::lock_guard lock(mutex);
      --unacknowledged;
      if (report.status.ok()) {
        latencies_ms.push_back(absl::ToDoubleMilliseconds(report.latency));
      } else {
        ++failed;
      }
      room.notify_one();
    });
    if (!status.ok()) {
      std::cerr << "publish: " << status << "\n";
      return 1;
    }
    ++sent;
  }
  (*publisher)->Close(absl::Seconds(60));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (failed > 0 || latencies_ms.size() != sent) {
    std::cerr << failed << " of " << sent << " events were not delivered\n";
    return 1;
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto percentile = [&](double p) {
    return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<size_t>(p * latencies_ms.size()))];
  };
  const double rate = sent / seconds;
  // The process's CPU time, all threads (librdkafka's included): the floor an
  // edge that adds HTTP on top cannot go below.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu_seconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                             usage.ru_stime.tv_usec / 1e6;
  std::printf(
      "{\"events\": %llu, \"seconds\": %.3f, \"events_per_second\": %.1f, \"mb_per_second\": %.2f, "
      "\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"cpu_us_per_event\": %.1f}\n",
      static_cast<unsigned long long>(sent), seconds, rate, rate * event.size() / 1e6, percentile(0.50),
      percentile(0.99), cpu_seconds / sent * 1e6);
  return 0;
}

}  // namespace
}  // namespace tokengate

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tokengate::Run();
}
