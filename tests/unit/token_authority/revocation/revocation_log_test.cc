// When a WatchRevocations client can be resumed from its position, and when it
// must be told to start afresh (drop its cache) instead.
#include "services/token_authority/revocation/revocation_log.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

const RevocationLogSlice kLog{.log_id = "log-a", .pruned_through = 10, .head = 20};

TEST(RevocationLogTest, PositionWithinTheRetainedLogResumes) {
  EXPECT_TRUE(CanResumeFrom("log-a", 10, kLog));
  EXPECT_TRUE(CanResumeFrom("log-a", 15, kLog));
  EXPECT_TRUE(CanResumeFrom("log-a", 20, kLog));
}

TEST(RevocationLogTest, PositionBehindWhatWasPrunedCannotResume) {
  EXPECT_FALSE(CanResumeFrom("log-a", 9, kLog));
}

TEST(RevocationLogTest, PositionAheadOfTheLogCannotResume) {
  // A restored backup or a new database with the same log id.
  EXPECT_FALSE(CanResumeFrom("log-a", 21, kLog));
}

TEST(RevocationLogTest, PositionOfAnotherLogCannotResume) { EXPECT_FALSE(CanResumeFrom("log-b", 15, kLog)); }

}  // namespace
}  // namespace tokengate
