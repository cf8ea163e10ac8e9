// Creating a Kafka topic through the admin API when it is missing (brokers
// usually forbid auto-creation). Shared by every producer that owns a topic.
#pragma once

#include <string>

#include <librdkafka/rdkafka.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tokengate {

// OK when `topic` exists afterwards (created now or before); UNAVAILABLE
// (with the broker's reason) otherwise. `partitions` only for a new topic.
absl::Status CreateTopicIfMissing(rd_kafka_t* client, const std::string& topic, int partitions,
                                  absl::Duration timeout);

}  // namespace tokengate
