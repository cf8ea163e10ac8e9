// The audit trail's retention: records older than the configured days are
// deleted (through audit_event_prune(), the only way past the append-only
// trigger), every hour, by one replica at a time. While records are published
// to Kafka, only those Kafka already has are deleted.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/periodic_task.h"
#include "common/pg/postgres.h"

namespace tokengate {

class AuditRetention {
 public:
  AuditRetention(std::shared_ptr<PgPool> pool, absl::Duration retention, bool published_only)
      : pool_(std::move(pool)), retention_(retention), published_only_(published_only) {}

  // Deletes what is due; 0 when another replica is cleaning up right now.
  absl::StatusOr<int64_t> PruneOnce();
  // PruneOnce now and then every `interval`, on a thread of its own.
  void Start(absl::Duration interval);
  void Stop() { task_.Stop(); }

 private:
  std::shared_ptr<PgPool> pool_;
  const absl::Duration retention_;
  const bool published_only_;
  PeriodicTask task_;  // Last: stopped before the members it uses go.
};

}  // namespace tokengate
