// PeriodicTask: the loop every background job of the services runs on.
#include "common/base/periodic_task.h"

#include <atomic>

#include <gtest/gtest.h>

#include "absl/time/clock.h"

namespace tokengate {
namespace {

// Polls `done` until it holds or 10 s pass.
bool Eventually(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

TEST(PeriodicTaskTest, RunsAtOnceThenAfterThePauseTheRunReturns) {
  std::atomic<int> runs = 0;
  PeriodicTask task;
  task.Start([&] {
    // Two quick turns, then a pause no test outlives: Stop must cut it short.
    return ++runs < 3 ? absl::ZeroDuration() : absl::Hours(1);
  });
  EXPECT_TRUE(Eventually([&] { return runs == 3; }));
  task.Stop();
  EXPECT_EQ(runs, 3);
}

TEST(PeriodicTaskTest, WakeEndsThePauseAndAWakeDuringARunIsNotLost) {
  std::atomic<int> runs = 0;
  PeriodicTask task;
  task.Start([&] {
    // The first run wakes its own task: the pause after it must be skipped.
    if (++runs == 1) task.Wake();
    return absl::Hours(1);
  });
  EXPECT_TRUE(Eventually([&] { return runs == 2; }));
  task.Wake();
  EXPECT_TRUE(Eventually([&] { return runs == 3; }));
}

TEST(PeriodicTaskTest, TheFirstPauseComesBeforeTheFirstRun) {
  std::atomic<int> runs = 0;
  PeriodicTask task;
  task.Start([&] { return ++runs, absl::Hours(1); }, absl::Hours(1));
  task.Wake();  // Only a wake (or the hour) lets the first run happen.
  EXPECT_TRUE(Eventually([&] { return runs == 1; }));
  task.Stop();
  EXPECT_EQ(runs, 1);
}

TEST(PeriodicTaskTest, ALongRunSeesStoppingAndStopIsIdempotent) {
  std::atomic<bool> started = false, saw_stopping = false;
  PeriodicTask task;
  task.Start([&] {
    started = true;
    saw_stopping = Eventually([&] { return task.Stopping(); });
    return absl::Hours(1);
  });
  ASSERT_TRUE(Eventually([&] { return started.load(); }));
  task.Stop();
  task.Stop();
  EXPECT_TRUE(saw_stopping);
}

TEST(PeriodicTaskTest, AFixedIntervalRunsAtOnce) {
  std::atomic<int> runs = 0;
  PeriodicTask task;
  task.Start(absl::Hours(1), [&] { ++runs; });
  EXPECT_TRUE(Eventually([&] { return runs == 1; }));
}

}  // namespace
}  // namespace tokengate
