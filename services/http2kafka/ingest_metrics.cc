#include "services/http2kafka/ingest_metrics.h"

#include "absl/strings/str_cat.h"

namespace tokengate {
namespace {

constexpr const char* kRejectionNames[kRejectionCount] = {
    "unauthorized", "forbidden",    "authority_unavailable", "unsupported_encoding", "unsupported_media_type",
    "too_large",    "invalid_gzip", "invalid_event",         "kafka_unavailable",    "shutting_down",
};

}  // namespace

IngestMetrics::IngestMetrics(MetricsRegistry* registry, const KafkaPublisher* publisher) {
  accepted_ = registry
                  ->AddCounter("tokengate_http2kafka_events_accepted_total",
                               "Events answered 201 (durable mode: acknowledged by Kafka)", {})
                  ->WithLabels({});
  CounterFamily* rejected = registry->AddCounter("tokengate_http2kafka_events_rejected_total",
                                                 "Events refused, by reason", {"reason"});
  for (int i = 0; i < kRejectionCount; ++i) rejected_[i] = rejected->WithLabels({kRejectionNames[i]});
  answers_ = registry->AddCounter("tokengate_http2kafka_responses_total",
                                  "Answers to POST /v1/openlineage by status", {"status"});
  answer_latency_ = registry
                        ->AddHistogram("tokengate_http2kafka_request_duration_seconds",
                                       "POST /v1/openlineage from request to answer (includes Kafka's ack in "
                                       "durable mode)",
                                       {}, DefaultLatencyBoundsSeconds())
                        ->WithLabels({});
  delivery_latency_ = registry
                          ->AddHistogram("tokengate_http2kafka_kafka_delivery_seconds",
                                         "From enqueue to Kafka's verdict", {}, DefaultLatencyBoundsSeconds())
                          ->WithLabels({});
  delivery_failures_ = registry->AddCounter("tokengate_http2kafka_kafka_delivery_errors_total",
                                            "Events Kafka did not acknowledge, by error", {"error"});
  registry->AddCollector([publisher](MetricsWriter& out) {
    out.SingleGauge("tokengate_http2kafka_kafka_queue_depth",
                    "Events queued or in flight, not yet acknowledged by Kafka", publisher->QueueDepth());
  });
}

void IngestMetrics::Delivered(const DeliveryReport& report) {
  delivery_latency_->Observe(absl::ToDoubleSeconds(report.latency));
  if (!report.status.ok()) {
    delivery_failures_->WithLabels({absl::StatusCodeToString(report.status.code())})->Increment();
  }
}

void IngestMetrics::Answered(int status, absl::Duration elapsed) {
  answers_->WithLabels({absl::StrCat(status)})->Increment();
  answer_latency_->Observe(absl::ToDoubleSeconds(elapsed));
}

}  // namespace tokengate
