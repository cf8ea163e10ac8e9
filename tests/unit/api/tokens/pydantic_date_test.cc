#include "services/api/tokens/pydantic_date.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(PydanticDateTest, RealDatesPass) {
  for (const char* text : {"2030-12-31", "2028-02-29", "2030-01-01"}) {
    EXPECT_EQ(CheckDateAsPydantic(text).code, "") << text;
  }
}

// Each message as Data.Rentgen 0.7.2 answered it for the same `until`.
TEST(PydanticDateTest, ExplainsWhatIsWrongInPydanticsWords) {
  const std::pair<const char*, const char*> cases[] = {
      {"31.12.2030", "invalid character in year"},
      {"abcd-12-01", "invalid character in year"},
      {"2030-1-01", "input is too short"},
      {"", "input is too short"},
      {"203-12-01", "input is too short"},
      {"2030-02-30", "day value is outside expected range"},
      {"2030-12-32", "day value is outside expected range"},
      {"2030-12-00", "day value is outside expected range"},
      {"2030-13-01", "month value is outside expected range of 1-12"},
      {"2030-00-10", "month value is outside expected range of 1-12"},
      {"2030/12/01", "invalid date separator, expected `-`"},
      {"2030-12-01x", "invalid datetime separator, expected `T`, `t`, `_` or space"},
  };
  for (const auto& [text, why] : cases) {
    const DateIssue issue = CheckDateAsPydantic(text);
    EXPECT_EQ(issue.code, "date_from_datetime_parsing") << text;
    EXPECT_EQ(issue.message, std::string("Input should be a valid date or datetime, ") + why) << text;
  }
}

TEST(PydanticDateTest, DatetimeIsInexact) {
  const DateIssue issue = CheckDateAsPydantic("2030-12-01T10:00:00");
  EXPECT_EQ(issue.code, "date_from_datetime_inexact");
  EXPECT_EQ(issue.message, "Datetimes provided to dates should have zero time - e.g. be exact dates");
}

}  // namespace
}  // namespace tokengate
