#include "services/token_authority/tokens/usage_recorder.h"

#include "common/base/log.h"

namespace tokengate {

void UsageRecorder::Start() {
  flusher_.Start(
      [this] {
        if (auto status = Flush(); !status.ok()) {
          TG_LOG(Warning) << "last use flush failed, will retry: " << status.message();
        }
        return interval_;
      },
      interval_);
}

void UsageRecorder::Stop() {
  flusher_.Stop();
  if (auto status = Flush(); !status.ok()) {
    TG_LOG(Warning) << "last use not saved at shutdown: " << status.message();
  }
}

void UsageRecorder::Touch(TokenUse use) {
  absl::MutexLock lock(&mutex_);
  auto [it, inserted] = pending_.try_emplace(use.token_id, use);
  if (!inserted && it->second.at <= use.at) it->second = std::move(use);
}

absl::Status UsageRecorder::Flush() {
  absl::flat_hash_map<std::string, TokenUse> batch;
  {
    absl::MutexLock lock(&mutex_);
    batch.swap(pending_);
  }
  if (batch.empty()) return absl::OkStatus();
  std::vector<TokenUse> uses;
  uses.reserve(batch.size());
  for (auto& [id, use] : batch) uses.push_back(std::move(use));
  absl::Status status = store_->RecordUsage(uses);
  if (!status.ok()) {
    absl::MutexLock lock(&mutex_);
    for (TokenUse& use : uses) {
      auto [it, inserted] = pending_.try_emplace(use.token_id, use);
      if (!inserted && it->second.at < use.at) it->second = std::move(use);
    }
  }
  return status;
}

}  // namespace tokengate
