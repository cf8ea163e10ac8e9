#include "services/consumer/consumer_config.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/config/kafka_client_config.h"

ABSL_FLAG(std::string, database_url, "", "libpq URI of the lineage database");
ABSL_FLAG(std::string, kafka_bootstrap_servers, "127.0.0.1:9092", "Kafka bootstrap servers");
ABSL_FLAG(std::string, kafka_topic, "input.runs", "topic of OpenLineage run events");
ABSL_FLAG(std::string, kafka_group_id, "lineage-consumer", "Kafka consumer group");
ABSL_FLAG(int, kafka_session_timeout_ms, 10000,
          "how soon the group reassigns the partitions of a consumer that died");
ABSL_FLAG(std::string, malformed_topic, "",
          "topic for messages that cannot be stored; empty: <kafka_topic>__malformed");
ABSL_FLAG(int, batch_size, 1000, "most events written in one transaction");
ABSL_FLAG(int, batch_wait_ms, 200, "longest wait for a batch to fill, in milliseconds");
ABSL_FLAG(int, retry_max_ms, 5000, "longest back-off while PostgreSQL is unreachable");
ABSL_FLAG(std::string, http_listen, "0.0.0.0:8003",
          "address of /monitoring/ping and /metrics (port 0: pick one)");

namespace tokengate {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(EnvNameOf(flag), ": ", why));
}

}  // namespace

const std::vector<std::string>& ConsumerFlagNames() {
  static const std::vector<std::string> kNames = {"database_url",
                                                  "kafka_bootstrap_servers",
                                                  "kafka_topic",
                                                  "kafka_group_id",
                                                  "kafka_session_timeout_ms",
                                                  "malformed_topic",
                                                  "batch_size",
                                                  "batch_wait_ms",
                                                  "retry_max_ms",
                                                  "http_listen"};
  static const std::vector<std::string> kAll = [] {
    std::vector<std::string> all = kNames;
    all.insert(all.end(), KafkaClientSecurityFlagNames().begin(), KafkaClientSecurityFlagNames().end());
    return all;
  }();
  return kAll;
}

absl::StatusOr<ConsumerConfig> ConsumerConfigFromFlags() {
  ConsumerConfig config;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  if (config.database_url.empty()) return Bad("database_url", "must be set");
  config.kafka_bootstrap_servers = absl::GetFlag(FLAGS_kafka_bootstrap_servers);
  if (config.kafka_bootstrap_servers.empty()) return Bad("kafka_bootstrap_servers", "must be set");
  config.kafka_topic = absl::GetFlag(FLAGS_kafka_topic);
  if (config.kafka_topic.empty()) return Bad("kafka_topic", "must be set");
  config.kafka_group_id = absl::GetFlag(FLAGS_kafka_group_id);
  if (config.kafka_group_id.empty()) return Bad("kafka_group_id", "must be set");
  auto security = KafkaClientSecurityFromFlags();
  if (!security.ok()) return security.status();
  config.kafka_security = *std::move(security);
  const int session_ms = absl::GetFlag(FLAGS_kafka_session_timeout_ms);
  // Brokers accept 6..300 s by default (group.min/max.session.timeout.ms).
  if (session_ms < 6000 || session_ms > 300000) {
    return Bad("kafka_session_timeout_ms", "must be within 6000..300000");
  }
  config.kafka_session_timeout = absl::Milliseconds(session_ms);
  config.malformed_topic = absl::GetFlag(FLAGS_malformed_topic);
  if (config.malformed_topic.empty()) config.malformed_topic = config.kafka_topic + "__malformed";
  if (config.malformed_topic == config.kafka_topic) {
    return Bad("malformed_topic", "must differ from the topic it guards");
  }
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  if (config.batch_size < 1 || config.batch_size > 100000) {
    return Bad("batch_size", "must be within 1..100000");
  }
  const int wait_ms = absl::GetFlag(FLAGS_batch_wait_ms);
  if (wait_ms < 1 || wait_ms > 60000) return Bad("batch_wait_ms", "must be within 1..60000");
  config.batch_wait = absl::Milliseconds(wait_ms);
  const int retry_max_ms = absl::GetFlag(FLAGS_retry_max_ms);
  if (retry_max_ms < 100 || retry_max_ms > 600000) {
    return Bad("retry_max_ms", "must be within 100..600000");
  }
  config.retry_max = absl::Milliseconds(retry_max_ms);
  config.http_listen = absl::GetFlag(FLAGS_http_listen);
  if (auto hp = ParseHostPort(config.http_listen); !hp.ok()) {
    return Bad("http_listen", hp.status().message());
  }
  return config;
}

}  // namespace tokengate
