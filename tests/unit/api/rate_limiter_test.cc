#include "services/api/rate_limiter.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(RateLimiterTest, AdmitsABurstThenSaysHowLongToWait) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  RateLimiter limiter({.count = 2, .period = absl::Minutes(1)}, &clock);
  EXPECT_FALSE(limiter.Admit("10.0.0.1"));
  EXPECT_FALSE(limiter.Admit("10.0.0.1"));
  auto wait = limiter.Admit("10.0.0.1");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, absl::Seconds(30));
}

TEST(RateLimiterTest, RefillsWithTime) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  RateLimiter limiter({.count = 2, .period = absl::Minutes(1)}, &clock);
  limiter.Admit("a");
  limiter.Admit("a");
  clock.Advance(absl::Seconds(30));
  EXPECT_FALSE(limiter.Admit("a"));
  EXPECT_TRUE(limiter.Admit("a"));
}

TEST(RateLimiterTest, AddressesHaveTheirOwnBuckets) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  RateLimiter limiter({.count = 1, .period = absl::Minutes(1)}, &clock);
  EXPECT_FALSE(limiter.Admit("a"));
  EXPECT_TRUE(limiter.Admit("a"));
  EXPECT_FALSE(limiter.Admit("b"));
}

TEST(RateLimiterTest, AFullTableForgetsRefilledBuckets) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  RateLimiter limiter({.count = 1, .period = absl::Seconds(1)}, &clock, /*max_keys=*/2);
  EXPECT_FALSE(limiter.Admit("a"));
  EXPECT_FALSE(limiter.Admit("b"));
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(limiter.Admit("c"));  // a and b refilled: forgotten, room for c.
  EXPECT_TRUE(limiter.Admit("c"));
}

TEST(ParseRateLimitTest, ReadsCountAndUnit) {
  auto limit = ParseRateLimit("10/min");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(limit->count, 10);
  EXPECT_EQ(limit->period, absl::Minutes(1));
  EXPECT_EQ(ParseRateLimit("5/s")->period, absl::Seconds(1));
  EXPECT_EQ(ParseRateLimit("100/hour")->period, absl::Hours(1));
  EXPECT_FALSE(ParseRateLimit("10").ok());
  EXPECT_FALSE(ParseRateLimit("0/min").ok());
  EXPECT_FALSE(ParseRateLimit("10/day").ok());
  EXPECT_FALSE(ParseRateLimit("ten/min").ok());
}

}  // namespace
}  // namespace tokengate
