#include "services/consumer/consumer_metrics.h"

namespace tokengate {

ConsumerMetrics::ConsumerMetrics(MetricsRegistry* registry) {
  CounterFamily* events =
      registry->AddCounter("lineage_consumer_events_total", "Run events consumed, by outcome", {"result"});
  events_stored = events->WithLabels({"stored"});
  events_malformed = events->WithLabels({"malformed"});
  events_rejected = events->WithLabels({"rejected"});
  rows_written =
      registry->AddCounter("lineage_consumer_rows_written_total", "Lineage rows inserted or changed", {})
          ->WithLabels({});
  batches = registry->AddCounter("lineage_consumer_batches_total", "Batches committed", {})->WithLabels({});
  database_retries = registry
                         ->AddCounter("lineage_consumer_database_retries_total",
                                      "Batch attempts that failed and were retried", {})
                         ->WithLabels({});
  commit_failures = registry
                        ->AddCounter("lineage_consumer_offset_commit_failures_total",
                                     "Offset commits Kafka refused (events are re-read)", {})
                        ->WithLabels({});
  batch_seconds = registry
                      ->AddHistogram("lineage_consumer_batch_duration_seconds",
                                     "From a batch's first message to its offsets committed", {},
                                     DefaultLatencyBoundsSeconds())
                      ->WithLabels({});
  write_seconds = registry
                      ->AddHistogram("lineage_consumer_write_duration_seconds",
                                     "One batch's PostgreSQL transaction", {}, DefaultLatencyBoundsSeconds())
                      ->WithLabels({});
  registry->AddCollector([this](MetricsWriter& writer) {
    writer.SingleGauge("lineage_consumer_lag_messages",
                       "Messages between committed offsets and the partitions' ends",
                       static_cast<double>(lag.load()));
    writer.SingleGauge("lineage_consumer_paused", "1 while PostgreSQL or Kafka is unreachable",
                       paused.load() ? 1 : 0);
  });
}

}  // namespace tokengate
