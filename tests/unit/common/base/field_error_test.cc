#include "common/base/field_error.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::StatusIs;

TEST(FieldErrorTest, EntityErrorsReadAsDataRentgensAndKeepTheirParts) {
  const absl::Status missing = EntityError(absl::StatusCode::kNotFound, "PersonalToken", "id", "abc");
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(missing.message(), "PersonalToken with id='abc' not found");
  EXPECT_EQ(PayloadOf(missing, kEntityPayload), "PersonalToken");
  EXPECT_EQ(PayloadOf(missing, kFieldPayload), "id");
  EXPECT_EQ(PayloadOf(missing, kValuePayload), "abc");
  EXPECT_EQ(EntityError(absl::StatusCode::kAlreadyExists, "PersonalToken", "name", "etl").message(),
            "PersonalToken with name='etl' already exists");
}

TEST(FieldErrorTest, PythonReprQuotesAsPythonDoes) {
  EXPECT_EQ(PythonRepr("etl"), "'etl'");
  EXPECT_EQ(PythonRepr("it's"), "\"it's\"");
  EXPECT_EQ(PythonRepr("both ' and \""), "'both \\' and \"'");
  EXPECT_EQ(PythonRepr("a\\b\nc"), "'a\\\\b\\nc'");
}

TEST(FieldErrorTest, InvalidFieldCarriesPydanticContext) {
  const absl::Status status = InvalidField("until", "less_than_equal", "too late", R"({"le":"2027-11-29"})");
  EXPECT_EQ(PayloadOf(status, kContextPayload), R"({"le":"2027-11-29"})");
  EXPECT_EQ(PayloadOf(InvalidField("until", "date_future", "past"), kContextPayload), std::nullopt);
}

}  // namespace
}  // namespace tokengate
