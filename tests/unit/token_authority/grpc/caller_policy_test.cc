#include "services/token_authority/grpc/caller_policy.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

TEST(CallerPolicyTest, DefaultRulesLetApiDoAllAndHttp2KafkaOnlyVerifyAndWatch) {
  auto policy = CallerPolicy::Parse("tokengate-api=*;tokengate-http2kafka=VerifyToken|WatchRevocations");
  ASSERT_THAT(policy, IsOk());
  EXPECT_TRUE(policy->Allows("tokengate-api", "IssueToken"));
  EXPECT_TRUE(policy->Allows("tokengate-http2kafka", "VerifyToken"));
  EXPECT_TRUE(policy->Allows("tokengate-http2kafka", "WatchRevocations"));
  EXPECT_FALSE(policy->Allows("tokengate-http2kafka", "IssueToken"));
  EXPECT_FALSE(policy->Allows("stranger", "VerifyToken"));
}

TEST(CallerPolicyTest, MalformedRuleIsRefused) {
  EXPECT_FALSE(CallerPolicy::Parse("tokengate-api").ok());
  EXPECT_FALSE(CallerPolicy::Parse("=VerifyToken").ok());
}

}  // namespace
}  // namespace tokengate
