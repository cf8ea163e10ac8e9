#include "services/api/auth/rate_limiter.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

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

TEST(RateLimiterTest, AFullTableDoesNotRefillADrainedClient) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  RateLimiter limiter({.count = 1, .period = absl::Hours(1)}, &clock, /*max_keys=*/3);
  EXPECT_FALSE(limiter.Admit("10.0.0.66"));
  // A flood of new addresses fills the table again and again; the drained
  // client keeps coming back and must stay limited all along.
  for (int i = 0; i < 20; ++i) {
    limiter.Admit("10.1.0." + std::to_string(i));
    EXPECT_TRUE(limiter.Admit("10.0.0.66")) << "after " << i + 1 << " new addresses";
  }
}

TEST(RateLimiterTest, AFullTableEvictsTheLeastRecentlyUsedClient) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  RateLimiter limiter({.count = 1, .period = absl::Hours(1)}, &clock, /*max_keys=*/2);
  EXPECT_FALSE(limiter.Admit("a"));
  EXPECT_FALSE(limiter.Admit("b"));
  EXPECT_TRUE(limiter.Admit("a"));   // a is now the most recent.
  EXPECT_FALSE(limiter.Admit("c"));  // b goes.
  EXPECT_TRUE(limiter.Admit("a"));
  EXPECT_TRUE(limiter.Admit("c"));
}

TEST(RateLimiterTest, IPv6ClientsShareTheBucketOfTheirSlash64) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  RateLimiter limiter({.count = 1, .period = absl::Minutes(1)}, &clock);
  EXPECT_FALSE(limiter.Admit("2001:db8:1:2::1"));
  EXPECT_TRUE(limiter.Admit("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(limiter.Admit("2001:db8:1:3::1"));
}

TEST(RateLimitKeyTest, IPv6ByItsSlash64AndEverythingElseAsItIs) {
  EXPECT_EQ(RateLimitKey("2001:db8:1:2:a:b:c:d"), "2001:db8:1:2::/64");
  EXPECT_EQ(RateLimitKey("2001:0DB8:0001:0002::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(RateLimitKey("::1"), "::/64");
  EXPECT_EQ(RateLimitKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(RateLimitKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(RateLimitKey("not an address"), "not an address");
}

TEST(ParseRateLimitTest, ReadsCountAndUnit) {
  auto limit = ParseRateLimit("10/min");
  ASSERT_THAT(limit, IsOk());
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
