// A background loop on a thread of its own: runs a function, pauses, runs it
// again, until Stop(). Every loop of the services (pruning, retention, last-use
// flushes, the audit publisher, the notice scheduler) is one of these, so none
// hand-rolls a thread, a condition variable and a stop flag.
//
// Stop() interrupts a pause, not a run in progress; a long run polls
// Stopping() to end early. Wake() cuts the current pause short (or makes the
// next one zero when called during a run).
#pragma once

#include <functional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tokengate {

class PeriodicTask {
 public:
  // Returns how long to pause before the next run (zero: at once).
  using Run = std::function<absl::Duration()>;

  PeriodicTask() = default;
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // The first run comes after `first_pause`.
  void Start(Run run, absl::Duration first_pause = absl::ZeroDuration()) {
    thread_ = std::thread([this, run = std::move(run), pause = first_pause]() mutable {
      while (Pause(pause)) pause = run();
    });
  }

  // Runs now, then every `interval`.
  void Start(absl::Duration interval, std::function<void()> run) {
    Start([interval, run = std::move(run)] {
      run();
      return interval;
    });
  }

  void Wake() {
    absl::MutexLock lock(&mutex_);
    woken_ = true;
  }

  bool Stopping() const {
    absl::MutexLock lock(&mutex_);
    return stopping_;
  }

  // Idempotent; returns once the thread has ended.
  void Stop() {
    {
      absl::MutexLock lock(&mutex_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  // False when stopping.
  bool Pause(absl::Duration pause) {
    absl::MutexLock lock(&mutex_);
    mutex_.AwaitWithTimeout(absl::Condition(this, &PeriodicTask::StoppingOrWoken), pause);
    woken_ = false;
    return !stopping_;
  }

  bool StoppingOrWoken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_ || woken_; }

  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool woken_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace tokengate
