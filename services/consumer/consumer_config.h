// lineage-consumer's settings: read from flags/env once, validated in one
// place, then passed by value. Nothing else in the consumer reads flags.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/kafka_client_config.h"

namespace tokengate {

struct ConsumerConfig {
  std::string database_url;
  std::string kafka_bootstrap_servers = "127.0.0.1:9092";
  std::string kafka_topic = "input.runs";
  std::string kafka_group_id = "lineage-consumer";
  // How the consumer and its side-topic producer reach the brokers.
  KafkaClientSecurity kafka_security;
  // How soon the group notices a consumer that died without leaving (its
  // partitions wait that long before another member takes them).
  absl::Duration kafka_session_timeout = absl::Seconds(10);
  // Where messages that cannot be stored go; default "<kafka_topic>__malformed".
  std::string malformed_topic;
  // A batch is written when it holds batch_size events or batch_wait has
  // passed since its first one, whichever comes first.
  int batch_size = 1000;
  absl::Duration batch_wait = absl::Milliseconds(200);
  // Back-off between attempts while PostgreSQL (or Kafka) is unreachable.
  absl::Duration retry_initial = absl::Milliseconds(100);
  absl::Duration retry_max = absl::Seconds(5);
  std::string http_listen = "0.0.0.0:8003";
};

// Names of the flags the consumer reads (for LoadFlags / LogEffectiveConfig).
const std::vector<std::string>& ConsumerFlagNames();
// Builds the config from the parsed flags; an error names the bad setting.
absl::StatusOr<ConsumerConfig> ConsumerConfigFromFlags();

}  // namespace tokengate
