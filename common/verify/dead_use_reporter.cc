#include "common/verify/dead_use_reporter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace tokengate {
namespace {

// The authority takes at most this many per report (dead_uses.h); more wait.
constexpr size_t kMaxUsesPerBatch = 1000;

}  // namespace

DeadUseReporter::DeadUseReporter(DeadUseReporterOptions options, Send send, const Clock* clock)
    : options_(std::move(options)), send_(std::move(send)), clock_(clock) {}

void DeadUseReporter::Start() {
  loop_.Start(
      [this] {
        if (auto status = Flush(); !status.ok()) {
          TG_LOG(Warning) << "dead token uses not reported, will retry: " << status.message();
        }
        return options_.interval;
      },
      options_.interval);
}

void DeadUseReporter::Stop() {
  loop_.Stop();
  if (auto status = Flush(); !status.ok()) {
    TG_LOG(Warning) << "dead token uses not reported at shutdown: " << status.message();
  }
}

void DeadUseReporter::Record(const std::string& token_id, const std::string& client_address,
                             const std::string& user_agent) {
  std::string key = absl::StrCat(token_id, absl::string_view("\0", 1), client_address,
                                 absl::string_view("\0", 1), user_agent);
  const absl::Time now = clock_->Now();
  {
    // A flood of one dead token is this lookup per request, under a shared lock.
    absl::ReaderMutexLock lock(&mutex_);
    if (auto it = queued_at_.find(key); it != queued_at_.end() && now - it->second < options_.repeat_after)
      return;
  }
  absl::MutexLock lock(&mutex_);
  auto [it, inserted] = queued_at_.try_emplace(std::move(key), now);
  if (!inserted) {
    if (now - it->second < options_.repeat_after) return;
    it->second = now;
  }
  if (queued_at_.size() > options_.max_remembered) {
    // Forgetting early only means a use is sent again (the authority keeps
    // one record an hour whatever it is sent).
    absl::erase_if(queued_at_,
                   [&](const auto& entry) { return now - entry.second >= options_.repeat_after; });
    if (queued_at_.size() > options_.max_remembered) queued_at_.clear();
  }
  if (pending_.size() >= options_.max_pending) {
    uses_dropped_++;
    return;
  }
  v1::DeadTokenUse& use = pending_.emplace_back();
  use.set_token_id(token_id);
  use.set_at_unix_ms(absl::ToUnixMillis(now));
  use.set_client_address(client_address);
  use.set_user_agent(user_agent);
}

absl::Status DeadUseReporter::Flush() {
  v1::ReportTokenUsesRequest request;
  request.set_edge(options_.edge);
  {
    absl::MutexLock lock(&mutex_);
    if (pending_.empty()) return absl::OkStatus();
    const size_t taken = std::min(pending_.size(), kMaxUsesPerBatch);
    for (size_t i = 0; i < taken; ++i) *request.add_dead_uses() = std::move(pending_[i]);
    pending_.erase(pending_.begin(), pending_.begin() + taken);
  }
  batches_++;
  absl::Status status = send_(request);
  if (status.ok()) {
    uses_sent_ += request.dead_uses_size();
    return status;
  }
  absl::MutexLock lock(&mutex_);
  for (auto& use : *request.mutable_dead_uses()) {
    if (pending_.size() >= options_.max_pending) {
      uses_dropped_++;
      continue;
    }
    pending_.push_back(std::move(use));
  }
  return status;
}

}  // namespace tokengate
