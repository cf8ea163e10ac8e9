// Batches "token X was used at T from address A" and writes the last use
// (time, address, user agent) every interval in one statement, instead of one
// write per verify; the same statement audits first uses and uses from a new
// address. A failed flush keeps its entries for the next one (a deadlock is
// retried at once, bounded, by the store); Stop() flushes what is left.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/token_authority/tokens/token_store.h"

namespace tokengate {

class UsageRecorder {
 public:
  UsageRecorder(TokenStore* store, absl::Duration interval) : store_(store), interval_(interval) {}
  ~UsageRecorder() { Stop(); }

  void Start();
  void Stop();
  void Touch(TokenUse use);
  // Writes the pending batch now; exposed for tests and shutdown.
  absl::Status Flush();

 private:
  void Run();

  TokenStore* store_;
  const absl::Duration interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // The latest use of each token since the last flush.
  absl::flat_hash_map<std::string, TokenUse> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tokengate
