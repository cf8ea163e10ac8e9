#include "services/http2kafka/http2kafka_config.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "common/base/status_macros.h"
#include "common/config/kafka_client_config.h"

ABSL_FLAG(std::string, http_listen, "0.0.0.0:8002", "HTTP listen address (port 0: pick one)");
ABSL_FLAG(int, http_threads, 4, "HTTP reactor threads");
ABSL_FLAG(int, http_receiving_budget_bytes, 256 << 20,
          "bytes of request bodies being received across all connections; a request beyond gets 503");
ABSL_FLAG(std::string, kafka_bootstrap_servers, "127.0.0.1:9092", "Kafka bootstrap servers");
ABSL_FLAG(std::string, kafka_topic, "input.runs", "topic the events are written to");
ABSL_FLAG(int, kafka_linger_ms, 2, "how long the producer waits to fill a batch");
ABSL_FLAG(int, kafka_message_timeout_ms, 1000,
          "how long an event may wait for Kafka before the client gets 503 (below the "
          "OpenLineage clients' 5 s timeout)");
ABSL_FLAG(int, kafka_reconnect_backoff_ms, 50, "first pause before reconnecting to a lost broker");
ABSL_FLAG(int, kafka_reconnect_backoff_max_ms, 500,
          "longest pause between reconnects to a lost broker (bounds how late a returning one is used)");
ABSL_FLAG(int, kafka_max_message_bytes, 1000000,
          "largest event Kafka takes (keep within the topic's max.message.bytes); larger gets 413");
ABSL_FLAG(int, kafka_queue_max_messages, 100000, "events queued in the producer before 503");
ABSL_FLAG(std::string, kafka_compression, "lz4", "none, gzip, snappy, lz4 or zstd");
ABSL_FLAG(std::string, delivery_mode, "durable",
          "durable (201 after Kafka's ack) or fire-and-forget (201 on enqueue; may lose events)");
ABSL_FLAG(int, max_body_bytes, 10 << 20, "largest event, after gzip decompression");
ABSL_FLAG(int, shutdown_grace_seconds, 10, "how long SIGTERM waits for queued events to reach Kafka");

namespace tokengate {
namespace {

constexpr absl::Duration kVerdictSlack = absl::Milliseconds(700);
// librdkafka's own default message.timeout.ms.
constexpr absl::Duration kFireAndForgetMessageTimeout = absl::Minutes(5);

const FlagList& Http2KafkaFlags() {
  static const FlagList kFlags = {
      {FLAGS_http_listen},
      {FLAGS_http_threads, 1, 1024},
      {FLAGS_http_receiving_budget_bytes, 1 << 20, 1 << 30},
      {FLAGS_kafka_bootstrap_servers},
      {FLAGS_kafka_topic},
      {FLAGS_kafka_linger_ms, 0, 10000},
      {FLAGS_kafka_message_timeout_ms, 100, 3600000},
      {FLAGS_kafka_reconnect_backoff_ms, 1, 60000},
      {FLAGS_kafka_reconnect_backoff_max_ms, 1, 600000},
      {FLAGS_kafka_max_message_bytes, 1000, 1000000000},
      {FLAGS_kafka_queue_max_messages, 1, 10000000},
      {FLAGS_kafka_compression},
      {FLAGS_delivery_mode},
      {FLAGS_max_body_bytes, 1024, 1 << 30},
      {FLAGS_shutdown_grace_seconds, 0, 600},
  };
  return kFlags;
}

}  // namespace

const std::vector<std::string>& Http2KafkaFlagNames() {
  static const std::vector<std::string> kNames =
      FlagNames({&Http2KafkaFlags(), &HttpEdgeFlags(), &VerifyClientFlags(), &TlsClientFlags(),
                 &KafkaClientSecurityFlags()});
  return kNames;
}

absl::StatusOr<Http2KafkaConfig> Http2KafkaConfigFromFlags() {
  Http2KafkaConfig config;
  config.http_listen = absl::GetFlag(FLAGS_http_listen);
  if (auto hp = ParseHostPort(config.http_listen); !hp.ok()) {
    return BadFlag(FLAGS_http_listen, hp.status().message());
  }
  TG_ASSIGN_OR_RETURN(config.verify, VerifyClientConfigFromFlags());
  TG_ASSIGN_OR_RETURN(config.http, HttpEdgeConfigFromFlags());
  if (absl::Status ranges = CheckRanges(Http2KafkaFlags()); !ranges.ok()) return ranges;
  config.http_threads = absl::GetFlag(FLAGS_http_threads);
  config.http_receiving_budget_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_http_receiving_budget_bytes));
  config.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  config.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));

  const std::string mode = absl::GetFlag(FLAGS_delivery_mode);
  if (mode == "durable") {
    config.delivery_mode = DeliveryMode::kDurable;
  } else if (mode == "fire-and-forget") {
    config.delivery_mode = DeliveryMode::kFireAndForget;
  } else {
    return BadFlag(FLAGS_delivery_mode, "must be durable or fire-and-forget");
  }

  KafkaPublisherOptions& kafka = config.kafka;
  kafka.bootstrap_servers = absl::GetFlag(FLAGS_kafka_bootstrap_servers);
  if (kafka.bootstrap_servers.empty()) return BadFlag(FLAGS_kafka_bootstrap_servers, "must be set");
  kafka.topic = absl::GetFlag(FLAGS_kafka_topic);
  if (kafka.topic.empty()) return BadFlag(FLAGS_kafka_topic, "must be set");
  TG_ASSIGN_OR_RETURN(kafka.security, KafkaClientSecurityFromFlags());
  kafka.linger_ms = absl::GetFlag(FLAGS_kafka_linger_ms);
  kafka.message_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_kafka_message_timeout_ms));
  // Someone waits for the verdict only in durable mode; there it comes at most
  // this long after librdkafka's own timeout (1.7 s after the request by default).
  if (config.delivery_mode == DeliveryMode::kDurable) {
    kafka.verdict_deadline = kafka.message_timeout + kVerdictSlack;
  } else {
    // The client already has its 201: a short expiry would turn a backlog into
    // silent loss. Events wait for Kafka instead, and the bounded producer
    // queue answers 503 when it is full.
    kafka.message_timeout = std::max(kafka.message_timeout, kFireAndForgetMessageTimeout);
  }
  kafka.reconnect_backoff = absl::Milliseconds(absl::GetFlag(FLAGS_kafka_reconnect_backoff_ms));
  kafka.reconnect_backoff_max = absl::Milliseconds(absl::GetFlag(FLAGS_kafka_reconnect_backoff_max_ms));
  if (kafka.reconnect_backoff_max < kafka.reconnect_backoff) {
    return BadFlag(FLAGS_kafka_reconnect_backoff_max_ms, "must not be below kafka_reconnect_backoff_ms");
  }
  kafka.max_message_bytes = absl::GetFlag(FLAGS_kafka_max_message_bytes);
  kafka.queue_max_messages = absl::GetFlag(FLAGS_kafka_queue_max_messages);
  kafka.compression = absl::GetFlag(FLAGS_kafka_compression);

  TG_ASSIGN_OR_RETURN(config.tls, TlsClientConfigFromFlags());
  return config;
}

}  // namespace tokengate
