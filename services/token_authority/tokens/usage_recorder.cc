#include "services/token_authority/tokens/usage_recorder.h"

#include "common/base/log.h"

namespace tokengate {

void UsageRecorder::Start() { thread_ = std::thread([this] { Run(); }); }

void UsageRecorder::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (auto status = Flush(); !status.ok()) {
    TG_LOG(Warning) << "last use not saved at shutdown: " << status.message();
  }
}

void UsageRecorder::Touch(TokenUse use) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = pending_.try_emplace(use.token_id, use);
  if (!inserted && it->second.at <= use.at) it->second = std::move(use);
}

absl::Status UsageRecorder::Flush() {
  absl::flat_hash_map<std::string, TokenUse> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(pending_);
  }
  if (batch.empty()) return absl::OkStatus();
  std::vector<TokenUse> uses;
  uses.reserve(batch.size());
  for (auto& [id, use] : batch) uses.push_back(std::move(use));
  absl::Status status = store_->RecordUsage(uses);
  if (!status.ok()) {
    std::lock_guard lock(mutex_);
    for (TokenUse& use : uses) {
      auto [it, inserted] = pending_.try_emplace(use.token_id, use);
      if (!inserted && it->second.at < use.at) it->second = std::move(use);
    }
  }
  return status;
}

void UsageRecorder::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, absl::ToChronoMilliseconds(interval_));
    if (stopping_) break;
    lock.unlock();
    if (auto status = Flush(); !status.ok()) {
      TG_LOG(Warning) << "last use flush failed, will retry: " << status.message();
    }
    lock.lock();
  }
}

}  // namespace tokengate
