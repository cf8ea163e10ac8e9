// The edges' report of dead-token uses (issue 24): every presentation of a
// revoked, refreshed-away or expired token (the VerifyCache knows the id,
// from its answer or its negative cache) is remembered here and sent to the
// authority in one ReportTokenUses batch per interval. A (token, address,
// user agent) is sent at most once an hour, so a job retrying in a loop
// costs a hash lookup per request and one entry per hour, not an RPC.
// Never holds token content: ids, addresses and user agents only. A batch
// the authority could not take is kept (bounded) for the next interval.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/periodic_task.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

struct DeadUseReporterOptions {
  std::string edge;                              // "api" or "http2kafka".
  absl::Duration interval = absl::Seconds(1);    // At most one batch per interval.
  absl::Duration repeat_after = absl::Hours(1);  // The same use is sent again after this.
  size_t max_remembered = 100000;                // Uses remembered for repeat_after.
  size_t max_pending = 10000;                    // Uses waiting for the next batch.
};

class DeadUseReporter {
 public:
  // `send` is the RPC (GrpcVerifyBackend::ReportTokenUses).
  using Send = std::function<absl::Status(const v1::ReportTokenUsesRequest&)>;
  DeadUseReporter(DeadUseReporterOptions options, Send send, const Clock* clock);
  ~DeadUseReporter() { Stop(); }

  void Start();
  // Ends the loop, then sends what is pending (once).
  void Stop();
  // A presentation of the dead token `token_id`; cheap when already sent this hour.
  void Record(const std::string& token_id, const std::string& client_address, const std::string& user_agent);
  // Sends pending uses now: one RPC of at most 1000 (none when there are none).
  absl::Status Flush();

  uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  uint64_t uses_sent() const { return uses_sent_.load(std::memory_order_relaxed); }
  uint64_t uses_dropped() const { return uses_dropped_.load(std::memory_order_relaxed); }

 private:
  const DeadUseReporterOptions options_;
  const Send send_;
  const Clock* clock_;
  absl::Mutex mutex_;
  // "id\0address\0user agent" → when it was last queued.
  absl::flat_hash_map<std::string, absl::Time> queued_at_ ABSL_GUARDED_BY(mutex_);
  std::vector<v1::DeadTokenUse> pending_ ABSL_GUARDED_BY(mutex_);
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> uses_sent_{0};
  std::atomic<uint64_t> uses_dropped_{0};
  PeriodicTask loop_;  // Last: stopped before the members it uses go.
};

}  // namespace tokengate
