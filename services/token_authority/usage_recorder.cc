#include "services/token_authority/usage_recorder.h"

#include "common/log.h"

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
    TG_LOG(Warning) << "last_used_at not saved at shutdown: " << status.message();
  }
}

void UsageRecorder::Touch(const std::string& token_id, absl::Time at) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = pending_.try_emplace(token_id, at);
  if (!inserted && it->second < at) it->second = at;
}

absl::Status UsageRecorder::Flush() {
  absl::flat_hash_map<std::string, absl::Time> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(pending_);
  }
  if (batch.empty()) return absl::OkStatus();
  std::vector<std::pair<std::string, absl::Time>> uses(batch.begin(), batch.end());
  absl::Status status = store_->RecordUsage(uses);
  if (!status.ok()) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, at] : batch) {
      auto [it, inserted] = pending_.try_emplace(id, at);
      if (!inserted && it->second < at) it->second = at;
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
      TG_LOG(Warning) << "last_used_at flush failed, will retry: " << status.message();
    }
    lock.lock();
  }
}

}  // namespace tokengate
