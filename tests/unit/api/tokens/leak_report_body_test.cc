#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/api/tokens/personal_token_messages.h"

namespace tokengate {
namespace {

using ::testing::ElementsAre;

TEST(LeakReportBodyTest, OneContentOrAList) {
  EXPECT_THAT(*ParseLeakReportBody(R"({"content":"personal_token_a"})").value,
              ElementsAre("personal_token_a"));
  EXPECT_THAT(*ParseLeakReportBody(R"({"contents":["a","b"]})").value, ElementsAre("a", "b"));
}

TEST(LeakReportBodyTest, MoreThanAHundredIsTooLongWithPydanticsContext) {
  std::string body = R"({"contents":[)";
  for (int i = 0; i < 101; ++i) body += i == 0 ? R"("x")" : R"(,"x")";
  body += "]}";
  auto parsed = ParseLeakReportBody(body);
  ASSERT_EQ(parsed.issues.size(), 1u);
  EXPECT_EQ(parsed.issues[0].code, "too_long");
  EXPECT_EQ(parsed.issues[0].message, "List should have at most 100 items after validation, not 101");
  EXPECT_EQ(parsed.issues[0].context_json, R"({"field_type":"List","max_length":100,"actual_length":101})");
}

TEST(LeakReportBodyTest, AnOverlongContentIsNotEchoed) {
  const std::string content(kMaxReportedContentChars + 1, 'a');
  auto parsed = ParseLeakReportBody(R"({"content":")" + content + R"("})");
  ASSERT_EQ(parsed.issues.size(), 1u);
  EXPECT_EQ(parsed.issues[0].code, "string_too_long");
  EXPECT_EQ(parsed.issues[0].input_json, "");
}

TEST(LeakReportBodyTest, AWrongItemIsReportedAtItsIndex) {
  auto parsed = ParseLeakReportBody(R"({"contents":["a",1]})");
  ASSERT_EQ(parsed.issues.size(), 1u);
  EXPECT_THAT(parsed.issues[0].location, ElementsAre("body", "contents"));
  EXPECT_EQ(parsed.issues[0].location_index, 1);
  EXPECT_EQ(parsed.issues[0].code, "string_type");
}

}  // namespace
}  // namespace tokengate
