// Runs a function now and then every interval on a thread of its own, until
// Stop() (which interrupts the wait, not a run in progress). For background
// upkeep such as pruning old rows.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"

namespace tokengate {

class PeriodicTask {
 public:
  PeriodicTask() = default;
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Start(absl::Duration interval, std::function<void()> run) {
    thread_ = std::thread([this, interval, run = std::move(run)] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        lock.unlock();
        run();
        lock.lock();
        wake_.wait_for(lock, absl::ToChronoMilliseconds(interval), [this] { return stopping_; });
      }
    });
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      wake_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tokengate
