// What lineage-consumer reports on /metrics: events by outcome, rows written,
// batch latency, consumer lag, retries while PostgreSQL is away.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/base/metrics.h"

namespace tokengate {

struct ConsumerMetrics {
  explicit ConsumerMetrics(MetricsRegistry* registry);

  Counter* events_stored;     // Written to PostgreSQL.
  Counter* events_malformed;  // Unparseable: copied to the side topic.
  Counter* events_rejected;   // Parsed, but PostgreSQL refused them: side topic too.
  Counter* rows_written;
  Counter* batches;
  Counter* database_retries;
  Counter* commit_failures;
  Histogram* batch_seconds;     // From the batch's first message to its offsets committed.
  Histogram* write_seconds;     // Inside PostgreSQL: one batch's transaction.
  std::atomic<int64_t> lag{0};  // Messages behind the partitions' ends (committed offsets).
  std::atomic<bool> paused{false};
};

}  // namespace tokengate
