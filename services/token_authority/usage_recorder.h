// Batches "token X was used at T" and writes last_used_at every interval in
// one UPDATE, instead of one write per verify. A failed flush keeps its
// entries for the next one; Stop() flushes what is left.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/token_authority/token_store.h"

namespace tokengate {

class UsageRecorder {
 public:
  UsageRecorder(TokenStore* store, absl::Duration interval) : store_(store), interval_(interval) {}
  ~UsageRecorder() { Stop(); }

  void Start();
  void Stop();
  void Touch(const std::string& token_id, absl::Time at);
  // Writes the pending batch now; exposed for tests and shutdown.
  absl::Status Flush();

 private:
  void Run();

  TokenStore* store_;
  const absl::Duration interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  absl::flat_hash_map<std::string, absl::Time> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tokengate
