// What http2kafka reports on /metrics (names tokengate_http2kafka_*): events
// accepted and rejected by reason, answers by status and their latency, Kafka
// delivery latency and failures and the producer's queue depth (the verify
// cache has its own, common/http/verify_metrics.h).
#pragma once

#include <array>
#include <string>

#include "absl/time/time.h"
#include "common/base/metrics.h"
#include "services/http2kafka/kafka_publisher.h"

namespace tokengate {

enum class Rejection {
  kUnauthorized,
  kForbidden,
  kAuthorityUnavailable,
  kUnsupportedEncoding,
  kUnsupportedMediaType,
  kTooLarge,
  kInvalidGzip,
  kInvalidEvent,
  kKafkaUnavailable,
  kShuttingDown,
};
inline constexpr int kRejectionCount = 10;

class IngestMetrics {
 public:
  // `publisher` is read at scrape time and must outlive the registry's use.
  IngestMetrics(MetricsRegistry* registry, const KafkaPublisher* publisher);

  void Accepted() { accepted_->Increment(); }
  void Rejected(Rejection reason) { rejected_[static_cast<int>(reason)]->Increment(); }
  void Delivered(const DeliveryReport& report);
  void Answered(int status, absl::Duration elapsed);

 private:
  Counter* accepted_;
  std::array<Counter*, kRejectionCount> rejected_;
  CounterFamily* answers_;
  Histogram* answer_latency_;
  Histogram* delivery_latency_;
  CounterFamily* delivery_failures_;
};

}  // namespace tokengate
