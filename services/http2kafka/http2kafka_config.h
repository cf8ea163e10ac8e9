// The http2kafka edge's settings: read from flags/env once, validated in one
// place, then passed by value. Nothing else in the service reads flags.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/http_edge_config.h"
#include "common/config/tls_client_config.h"
#include "common/config/verify_client_config.h"
#include "services/http2kafka/kafka_publisher.h"

namespace tokengate {

enum class DeliveryMode {
  // 201 only once Kafka has acknowledged the event (acks=all).
  kDurable,
  // 201 once the event is in the producer's queue, like Data.Rentgen: faster,
  // and an event still queued when the broker stays away or the process dies is lost.
  kFireAndForget,
};

struct Http2KafkaConfig {
  std::string http_listen = "0.0.0.0:8002";
  // Reactor threads. They never wait for Kafka (answers come from the
  // delivery thread); only a verify-cache miss blocks one for its RPC.
  int http_threads = 4;
  // Bytes of request bodies being received across all connections; beyond: 503.
  size_t http_receiving_budget_bytes = 256 << 20;
  HttpEdgeConfig http;
  VerifyClientConfig verify;
  TlsClientConfig tls;  // To the authority.
  KafkaPublisherOptions kafka;
  DeliveryMode delivery_mode = DeliveryMode::kDurable;
  // After gzip decompression; a gzip bomb is cut off here.
  size_t max_body_bytes = 10 << 20;
  // SIGTERM: how long queued events may take to reach Kafka before the rest get 503.
  absl::Duration shutdown_grace = absl::Seconds(10);
};

// Names of the flags http2kafka reads (for LoadFlags / LogEffectiveConfig).
const std::vector<std::string>& Http2KafkaFlagNames();
// Builds the config from the parsed flags; an error names the bad setting.
absl::StatusOr<Http2KafkaConfig> Http2KafkaConfigFromFlags();

}  // namespace tokengate
