// Time as a dependency, so tests control it instead of sleeping.
#pragma once

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tokengate {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// For tests: stands still until told to move.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_ns_.load()); }
  void Advance(absl::Duration d) { now_ns_ += absl::ToInt64Nanoseconds(d); }
  void Set(absl::Time t) { now_ns_ = absl::ToUnixNanos(t); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace tokengate
