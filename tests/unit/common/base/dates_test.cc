#include "common/base/dates.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(DatesTest, ParsesOnlyRealDatesInIsoForm) {
  EXPECT_EQ(ParseDay("2026-11-28"), absl::CivilDay(2026, 11, 28));
  EXPECT_FALSE(ParseDay("2026-02-30").has_value());
  EXPECT_FALSE(ParseDay("2026-1-05").has_value());
  EXPECT_FALSE(ParseDay("2026-11-28T00:00:00").has_value());
  EXPECT_FALSE(ParseDay("").has_value());
}

TEST(DatesTest, DayStartsAtUtcMidnight) {
  EXPECT_EQ(StartOfDayUnix(absl::CivilDay(1970, 1, 2)), 86400);
  EXPECT_EQ(UtcDay(absl::FromUnixSeconds(86399)), absl::CivilDay(1970, 1, 1));
}

}  // namespace
}  // namespace tokengate
