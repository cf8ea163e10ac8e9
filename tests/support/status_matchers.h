// GoogleTest matchers for absl::Status and absl::StatusOr, named after
// Abseil's (absl/status/status_matchers.h of newer releases than Debian's), so
// moving to those is a rename:
//
//   EXPECT_THAT(store.Revoke(id), IsOk());
//   EXPECT_THAT(tokens.Get(request), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(ParseRate("10/min"), IsOkAndHolds(Field(&RateLimit::count, 10)));
//
// A failure prints the status, which ASSERT_TRUE(x.ok()) does not.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace tokengate::testing {

namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "whose status is " << status;
  return status.ok();
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code && ::testing::Matches(message_matcher)(std::string(status.message()));
}

}  // namespace tokengate::testing
