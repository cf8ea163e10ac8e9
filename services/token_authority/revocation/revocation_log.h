// The revocation log (deploy/migrations/0003): what WatchRevocations replays
// to a client that resumes from a position, read in one snapshot together
// with the log's bounds, and its pruning by age. Rows are written by the
// database trigger, never here. Every stream reads the log after each
// revocation, all at once: those reads share one query (1,000 streams must
// not mean 1,000 queries, which exhausted the pool).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/periodic_task.h"
#include "common/pg/postgres.h"

namespace tokengate {

struct LoggedRevocation {
  int64_t position = 0;
  std::string token_id;
  int64_t revoked_at_unix = 0;
  int64_t expires_at_unix = 0;
};

struct RevocationLogSlice {
  std::string log_id;                   // Names the log (one per database).
  int64_t pruned_through = 0;           // Positions up to here may be gone.
  int64_t head = 0;                     // The newest position (or pruned_through when empty).
  std::vector<LoggedRevocation> items;  // After the asked position, oldest first.
};

class RevocationLog {
 public:
  explicit RevocationLog(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  // Up to `limit` revocations after `position`, with the bounds of the same
  // snapshot, which began after this call did (so it holds every revocation
  // committed before). Concurrent calls share one read, from the lowest
  // position among them; a call it cannot serve whole reads on its own.
  absl::StatusOr<RevocationLogSlice> ReadAfter(int64_t position, int limit);
  // Deletes revocations older than `retention`; returns how many.
  absl::StatusOr<int64_t> Prune(absl::Duration retention);

  // Prunes now and then every `interval` on a thread of its own.
  void StartPruning(absl::Duration retention, absl::Duration interval);
  void StopPruning() { pruner_.Stop(); }

 private:
  // One read, shared by the calls that began before it did.
  struct Shared {
    int64_t covers = 0;  // The calls (numbered from 1) that may use it.
    int64_t from = 0;    // It holds the rows after this position.
    absl::StatusOr<RevocationLogSlice> slice;
  };
  static constexpr int64_t kNobodyWaiting = INT64_MAX;
  // Up to `limit` rows after `position`, oldest first, and the bounds: one statement.
  absl::StatusOr<RevocationLogSlice> Query(int64_t position, int limit);

  std::shared_ptr<PgPool> pool_;
  absl::Mutex mutex_;
  int64_t calls_ ABSL_GUARDED_BY(mutex_) = 0;
  bool reading_ ABSL_GUARDED_BY(mutex_) = false;
  // The lowest position asked for by a call the next read must serve.
  int64_t waiting_from_ ABSL_GUARDED_BY(mutex_) = kNobodyWaiting;
  std::shared_ptr<const Shared> shared_ ABSL_GUARDED_BY(mutex_);
  PeriodicTask pruner_;  // Last: stopped before the members it uses go.
};

// Whether a client at (`log_id`, `position`) can be sent exactly what it
// missed from `slice`: same log, not behind what was pruned, not ahead of it.
bool CanResumeFrom(const std::string& log_id, int64_t position, const RevocationLogSlice& slice);

}  // namespace tokengate
