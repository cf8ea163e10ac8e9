// The http2kafka edge's settings: read from flags/env once, validated in one
// place, then passed by value. Nothing else in the service reads flags.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/client_address.h"
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
  absl::Duration http_idle_timeout = absl::Seconds(60);    // Keep-alive connection with nothing to do.
  absl::Duration http_header_timeout = absl::Seconds(10);  // First byte to end of a request head.
  absl::Duration http_write_timeout = absl::Seconds(30);   // A peer that takes none of its answer is dropped.
  // Bytes of request bodies being received across all connections; beyond: 503.
  size_t http_receiving_budget_bytes = 256 << 20;
  std::string authority_address = "127.0.0.1:50051";
  absl::Duration verify_deadline = absl::Milliseconds(500);
  absl::Duration verify_cache_ttl = absl::Seconds(60);     // Upper bound on the authority's TTL.
  absl::Duration verify_negative_ttl = absl::Seconds(5);
  int verify_cache_size = 100000;
  bool revocation_watch_enabled = true;
  std::string tls_cert_file;   // This edge's client identity for mutual TLS to the authority.
  std::string tls_key_file;
  std::string tls_ca_file;     // Root that signed the authority's certificate.
  KafkaPublisherOptions kafka;
  DeliveryMode delivery_mode = DeliveryMode::kDurable;
  // After gzip decompression; a gzip bomb is cut off here.
  size_t max_body_bytes = 10 << 20;
  std::string swagger_assets_dir;
  // Peers whose X-Forwarded-For is believed (the client address sent with VerifyToken).
  TrustedProxies trusted_proxies;
  absl::Duration retry_after = absl::Seconds(2);
  // SIGTERM: how long queued events may take to reach Kafka before the rest get 503.
  absl::Duration shutdown_grace = absl::Seconds(10);
};

// Names of the flags http2kafka reads (for LoadFlags / LogEffectiveConfig).
const std::vector<std::string>& Http2KafkaFlagNames();
// Builds the config from the parsed flags; an error names the bad setting.
absl::StatusOr<Http2KafkaConfig> Http2KafkaConfigFromFlags();

}  // namespace tokengate
