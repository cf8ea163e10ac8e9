#include "services/http2kafka/http2kafka_config.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/config/kafka_client_config.h"

#ifndef TOKENGATE_DEFAULT_SWAGGER_DIR
#define TOKENGATE_DEFAULT_SWAGGER_DIR "/usr/share/tokengate/swagger-ui-dist"
#endif

ABSL_FLAG(std::string, http_listen, "0.0.0.0:8002", "HTTP listen address (port 0: pick one)");
ABSL_FLAG(int, http_threads, 4, "HTTP reactor threads");
ABSL_FLAG(int, http_idle_timeout_seconds, 60,
          "a keep-alive connection with nothing to do is closed after this");
ABSL_FLAG(int, http_header_timeout_seconds, 10, "a request head must arrive within this (slowloris)");
ABSL_FLAG(int, http_write_timeout_seconds, 30,
          "a connection whose client takes no byte of its pending answer for this long is dropped");
ABSL_FLAG(int, http_receiving_budget_bytes, 256 << 20,
          "bytes of request bodies being received across all connections; a request beyond gets 503");
ABSL_FLAG(std::string, authority_address, "127.0.0.1:50051", "token authority gRPC address");
ABSL_FLAG(int, verify_deadline_ms, 500, "deadline of a VerifyToken RPC");
ABSL_FLAG(int, verify_cache_ttl_seconds, 60, "longest time a valid answer is cached");
ABSL_FLAG(int, verify_negative_ttl_seconds, 5, "longest time an invalid answer is cached");
ABSL_FLAG(int, verify_cache_size, 100000, "most answers held by the verify cache");
ABSL_FLAG(bool, revocation_watch_enabled, true, "follow the authority's revocation stream");
ABSL_FLAG(std::string, tls_cert_file, "", "client certificate for the authority (PEM); empty: plaintext");
ABSL_FLAG(std::string, tls_key_file, "", "client private key (PEM)");
ABSL_FLAG(std::string, tls_ca_file, "", "CA that signed the authority's certificate (PEM)");
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
ABSL_FLAG(std::string, swagger_assets_dir, TOKENGATE_DEFAULT_SWAGGER_DIR,
          "directory of npm's swagger-ui-dist, served under /static/swagger-ui/");
ABSL_FLAG(std::string, trusted_proxies, "",
          "comma-separated CIDRs of proxies whose X-Forwarded-For is believed; empty: none");
ABSL_FLAG(int, retry_after_seconds, 2, "Retry-After of 503 answers");
ABSL_FLAG(int, shutdown_grace_seconds, 10, "how long SIGTERM waits for queued events to reach Kafka");

namespace tokengate {
namespace {

constexpr absl::Duration kVerdictSlack = absl::Milliseconds(700);
// librdkafka's own default message.timeout.ms.
constexpr absl::Duration kFireAndForgetMessageTimeout = absl::Minutes(5);

absl::Status Bad(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(EnvNameOf(flag), ": ", why));
}

}  // namespace

const std::vector<std::string>& Http2KafkaFlagNames() {
  static const std::vector<std::string> kNames = {
      "http_listen", "http_threads", "http_idle_timeout_seconds", "http_header_timeout_seconds",
      "http_write_timeout_seconds", "http_receiving_budget_bytes", "authority_address", "verify_deadline_ms",
      "verify_cache_ttl_seconds", "verify_negative_ttl_seconds", "verify_cache_size",
      "revocation_watch_enabled", "tls_cert_file", "tls_key_file", "tls_ca_file",
      "kafka_bootstrap_servers", "kafka_topic", "kafka_linger_ms",
      "kafka_message_timeout_ms", "kafka_reconnect_backoff_ms", "kafka_reconnect_backoff_max_ms",
      "kafka_max_message_bytes", "kafka_queue_max_messages",
      "kafka_compression", "delivery_mode", "max_body_bytes", "swagger_assets_dir",
      "trusted_proxies", "retry_after_seconds", "shutdown_grace_seconds"};
  static const std::vector<std::string> kAll = [] {
    std::vector<std::string> all = kNames;
    all.insert(all.end(), KafkaClientSecurityFlagNames().begin(), KafkaClientSecurityFlagNames().end());
    return all;
  }();
  return kAll;
}

absl::StatusOr<Http2KafkaConfig> Http2KafkaConfigFromFlags() {
  Http2KafkaConfig config;
  config.http_listen = absl::GetFlag(FLAGS_http_listen);
  if (auto hp = ParseHostPort(config.http_listen); !hp.ok()) {
    return Bad("http_listen", hp.status().message());
  }
  config.authority_address = absl::GetFlag(FLAGS_authority_address);
  if (auto address = CheckAuthorityAddress(config.authority_address); !address.ok()) {
    return Bad("authority_address", address.message());
  }
  const absl::Status ranges = CheckRanges({
      {"http_threads", absl::GetFlag(FLAGS_http_threads), 1, 1024},
      {"http_idle_timeout_seconds", absl::GetFlag(FLAGS_http_idle_timeout_seconds), 1, 3600},
      {"http_header_timeout_seconds", absl::GetFlag(FLAGS_http_header_timeout_seconds), 1, 3600},
      {"http_write_timeout_seconds", absl::GetFlag(FLAGS_http_write_timeout_seconds), 1, 3600},
      {"http_receiving_budget_bytes", absl::GetFlag(FLAGS_http_receiving_budget_bytes), 1 << 20, 1 << 30},
      {"verify_deadline_ms", absl::GetFlag(FLAGS_verify_deadline_ms), 10, 60000},
      {"verify_cache_ttl_seconds", absl::GetFlag(FLAGS_verify_cache_ttl_seconds), 0, 3600},
      {"verify_negative_ttl_seconds", absl::GetFlag(FLAGS_verify_negative_ttl_seconds), 0, 3600},
      {"verify_cache_size", absl::GetFlag(FLAGS_verify_cache_size), 1, 100000000},
      {"kafka_linger_ms", absl::GetFlag(FLAGS_kafka_linger_ms), 0, 10000},
      {"kafka_message_timeout_ms", absl::GetFlag(FLAGS_kafka_message_timeout_ms), 100, 3600000},
      {"kafka_reconnect_backoff_ms", absl::GetFlag(FLAGS_kafka_reconnect_backoff_ms), 1, 60000},
      {"kafka_reconnect_backoff_max_ms", absl::GetFlag(FLAGS_kafka_reconnect_backoff_max_ms), 1, 600000},
      {"kafka_max_message_bytes", absl::GetFlag(FLAGS_kafka_max_message_bytes), 1000, 1000000000},
      {"kafka_queue_max_messages", absl::GetFlag(FLAGS_kafka_queue_max_messages), 1, 10000000},
      {"max_body_bytes", absl::GetFlag(FLAGS_max_body_bytes), 1024, 1 << 30},
      {"retry_after_seconds", absl::GetFlag(FLAGS_retry_after_seconds), 1, 3600},
      {"shutdown_grace_seconds", absl::GetFlag(FLAGS_shutdown_grace_seconds), 0, 600},
  });
  if (!ranges.ok()) return ranges;
  config.http_threads = absl::GetFlag(FLAGS_http_threads);
  config.http_idle_timeout = absl::Seconds(absl::GetFlag(FLAGS_http_idle_timeout_seconds));
  config.http_header_timeout = absl::Seconds(absl::GetFlag(FLAGS_http_header_timeout_seconds));
  config.http_write_timeout = absl::Seconds(absl::GetFlag(FLAGS_http_write_timeout_seconds));
  config.http_receiving_budget_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_http_receiving_budget_bytes));
  config.verify_deadline = absl::Milliseconds(absl::GetFlag(FLAGS_verify_deadline_ms));
  config.verify_cache_ttl = absl::Seconds(absl::GetFlag(FLAGS_verify_cache_ttl_seconds));
  config.verify_negative_ttl = absl::Seconds(absl::GetFlag(FLAGS_verify_negative_ttl_seconds));
  config.verify_cache_size = absl::GetFlag(FLAGS_verify_cache_size);
  config.revocation_watch_enabled = absl::GetFlag(FLAGS_revocation_watch_enabled);
  config.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  config.retry_after = absl::Seconds(absl::GetFlag(FLAGS_retry_after_seconds));
  config.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  config.swagger_assets_dir = absl::GetFlag(FLAGS_swagger_assets_dir);
  auto trusted = TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies));
  if (!trusted.ok()) return Bad("trusted_proxies", trusted.status().message());
  config.trusted_proxies = *std::move(trusted);

  const std::string mode = absl::GetFlag(FLAGS_delivery_mode);
  if (mode == "durable") {
    config.delivery_mode = DeliveryMode::kDurable;
  } else if (mode == "fire-and-forget") {
    config.delivery_mode = DeliveryMode::kFireAndForget;
  } else {
    return Bad("delivery_mode", "must be durable or fire-and-forget");
  }

  KafkaPublisherOptions& kafka = config.kafka;
  kafka.bootstrap_servers = absl::GetFlag(FLAGS_kafka_bootstrap_servers);
  if (kafka.bootstrap_servers.empty()) return Bad("kafka_bootstrap_servers", "must be set");
  kafka.topic = absl::GetFlag(FLAGS_kafka_topic);
  if (kafka.topic.empty()) return Bad("kafka_topic", "must be set");
  auto security = KafkaClientSecurityFromFlags();
  if (!security.ok()) return security.status();
  kafka.security = *std::move(security);
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
    return Bad("kafka_reconnect_backoff_max_ms", "must not be below kafka_reconnect_backoff_ms");
  }
  kafka.max_message_bytes = absl::GetFlag(FLAGS_kafka_max_message_bytes);
  kafka.queue_max_messages = absl::GetFlag(FLAGS_kafka_queue_max_messages);
  kafka.compression = absl::GetFlag(FLAGS_kafka_compression);

  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  const int tls_files = !config.tls_cert_file.empty() + !config.tls_key_file.empty() +
                        !config.tls_ca_file.empty();
  if (tls_files != 0 && tls_files != 3) {
    return Bad("tls_cert_file", "TLS needs the certificate, key and CA files together");
  }
  return config;
}

}  // namespace tokengate
