#include "services/consumer/consumer_config.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "common/base/status_macros.h"
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

const FlagList& ConsumerFlags() {
  static const FlagList kFlags = {
      {FLAGS_database_url},
      {FLAGS_kafka_bootstrap_servers},
      {FLAGS_kafka_topic},
      {FLAGS_kafka_group_id},
      // Brokers accept 6..300 s by default (group.min/max.session.timeout.ms).
      {FLAGS_kafka_session_timeout_ms, 6000, 300000},
      {FLAGS_malformed_topic},
      {FLAGS_batch_size, 1, 100000},
      {FLAGS_batch_wait_ms, 1, 60000},
      {FLAGS_retry_max_ms, 100, 600000},
      {FLAGS_http_listen},
  };
  return kFlags;
}

}  // namespace

const std::vector<std::string>& ConsumerFlagNames() {
  static const std::vector<std::string> kNames = FlagNames({&ConsumerFlags(), &KafkaClientSecurityFlags()});
  return kNames;
}

absl::StatusOr<ConsumerConfig> ConsumerConfigFromFlags() {
  ConsumerConfig config;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  if (config.database_url.empty()) return BadFlag(FLAGS_database_url, "must be set");
  config.kafka_bootstrap_servers = absl::GetFlag(FLAGS_kafka_bootstrap_servers);
  if (config.kafka_bootstrap_servers.empty()) return BadFlag(FLAGS_kafka_bootstrap_servers, "must be set");
  config.kafka_topic = absl::GetFlag(FLAGS_kafka_topic);
  if (config.kafka_topic.empty()) return BadFlag(FLAGS_kafka_topic, "must be set");
  config.kafka_group_id = absl::GetFlag(FLAGS_kafka_group_id);
  if (config.kafka_group_id.empty()) return BadFlag(FLAGS_kafka_group_id, "must be set");
  TG_ASSIGN_OR_RETURN(config.kafka_security, KafkaClientSecurityFromFlags());
  if (absl::Status ranges = CheckRanges(ConsumerFlags()); !ranges.ok()) return ranges;
  config.kafka_session_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_kafka_session_timeout_ms));
  config.malformed_topic = absl::GetFlag(FLAGS_malformed_topic);
  if (config.malformed_topic.empty()) config.malformed_topic = config.kafka_topic + "__malformed";
  if (config.malformed_topic == config.kafka_topic) {
    return BadFlag(FLAGS_malformed_topic, "must differ from the topic it guards");
  }
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  config.batch_wait = absl::Milliseconds(absl::GetFlag(FLAGS_batch_wait_ms));
  config.retry_max = absl::Milliseconds(absl::GetFlag(FLAGS_retry_max_ms));
  config.http_listen = absl::GetFlag(FLAGS_http_listen);
  if (auto hp = ParseHostPort(config.http_listen); !hp.ok()) {
    return BadFlag(FLAGS_http_listen, hp.status().message());
  }
  return config;
}

}  // namespace tokengate
