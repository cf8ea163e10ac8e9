// The edges' dead-token use reports (issue 24): a use repeated in a loop is
// sent once an hour, new ones go out in one batch per flush, and a batch the
// authority refused is sent again.
#include "common/verify/dead_use_reporter.h"

#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

class DeadUseReporterTest : public ::testing::Test {
 protected:
  DeadUseReporterTest()
      : clock_(absl::FromUnixSeconds(1800000000)),
        reporter_(
            {.edge = "api"},
            [this](const v1::ReportTokenUsesRequest& request) {
              sent_.push_back(request);
              return answer_;
            },
            &clock_) {}

  FakeClock clock_;
  std::vector<v1::ReportTokenUsesRequest> sent_;
  absl::Status answer_;
  DeadUseReporter reporter_;
};

TEST_F(DeadUseReporterTest, AUseRepeatedInALoopIsSentOnceAnHour) {
  for (int i = 0; i < 500; ++i) reporter_.Record("id-1", "10.1.2.3", "openlineage-java/1.53.0");
  EXPECT_THAT(reporter_.Flush(), IsOk());
  ASSERT_EQ(sent_.size(), 1u);
  ASSERT_EQ(sent_[0].dead_uses_size(), 1);
  EXPECT_EQ(sent_[0].edge(), "api");
  EXPECT_EQ(sent_[0].dead_uses(0).client_address(), "10.1.2.3");

  reporter_.Record("id-1", "10.1.2.3", "openlineage-java/1.53.0");
  EXPECT_THAT(reporter_.Flush(), IsOk());
  EXPECT_EQ(sent_.size(), 1u) << "nothing new: no RPC";

  clock_.Advance(absl::Hours(1));
  reporter_.Record("id-1", "10.1.2.3", "openlineage-java/1.53.0");
  EXPECT_THAT(reporter_.Flush(), IsOk());
  EXPECT_EQ(sent_.size(), 2u) << "an hour later it is sent again";
}

TEST_F(DeadUseReporterTest, EachAddressAndUserAgentIsItsOwnUseInOneBatch) {
  reporter_.Record("id-1", "10.1.2.3", "a");
  reporter_.Record("id-1", "10.9.9.9", "a");
  reporter_.Record("id-1", "10.1.2.3", "b");
  EXPECT_THAT(reporter_.Flush(), IsOk());
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].dead_uses_size(), 3);
}

TEST_F(DeadUseReporterTest, ABatchTheAuthorityRefusedIsSentAgain) {
  answer_ = absl::UnavailableError("authority down");
  reporter_.Record("id-1", "10.1.2.3", "a");
  EXPECT_THAT(reporter_.Flush(), StatusIs(absl::StatusCode::kUnavailable));
  answer_ = absl::OkStatus();
  EXPECT_THAT(reporter_.Flush(), IsOk());
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].dead_uses_size(), 1);
  EXPECT_EQ(reporter_.uses_sent(), 1u);
}

}  // namespace
}  // namespace tokengate
