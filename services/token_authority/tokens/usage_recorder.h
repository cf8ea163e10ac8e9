// Batches "token X was used at T from address A" and writes the last use
// (time, address, user agent) every interval in one statement, instead of one
// write per verify; the same statement audits first uses and uses from a new
// address. A failed flush keeps its entries for the next one (a deadlock is
// retried at once, bounded, by the store); Stop() flushes what is left.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/periodic_task.h"
#include "services/token_authority/tokens/token_store.h"

namespace tokengate {

class UsageRecorder {
 public:
  UsageRecorder(TokenStore* store, absl::Duration interval) : store_(store), interval_(interval) {}
  ~UsageRecorder() { Stop(); }

  void Start();
  // Ends the loop, then writes what is pending.
  void Stop();
  void Touch(TokenUse use);
  // Writes the pending batch now; exposed for tests and shutdown.
  absl::Status Flush();

 private:
  TokenStore* store_;
  const absl::Duration interval_;
  absl::Mutex mutex_;
  // The latest use of each token since the last flush.
  absl::flat_hash_map<std::string, TokenUse> pending_ ABSL_GUARDED_BY(mutex_);
  PeriodicTask flusher_;  // Last: stopped before the members it uses go.
};

}  // namespace tokengate
