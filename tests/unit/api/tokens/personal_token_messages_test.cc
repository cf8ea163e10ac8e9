#include "services/api/tokens/personal_token_messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokengate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PersonalTokenMessagesTest, RepeatedPersonalTokenIdSelectsEveryIdGiven) {
  auto parsed = ParseListQuery({{"personal_token_id", "0192F1A2-B3C4-7D5E-8F60-0123456789AB"},
                                {"personal_token_id", "0192f1a2b3c47d5e8f600123456789ac"}});
  ASSERT_TRUE(parsed.value.has_value());
  EXPECT_THAT(parsed.value->token_ids, ElementsAre("0192f1a2-b3c4-7d5e-8f60-0123456789ab",
                                                   "0192f1a2-b3c4-7d5e-8f60-0123456789ac"));
}

TEST(PersonalTokenMessagesTest, ListIssuesComeInFieldOrderWithTheIdsIndex) {
  auto parsed = ParseListQuery({{"personal_token_id", "0192f1a2-b3c4-7d5e-8f60-0123456789ab"},
                                {"personal_token_id", "abc"},
                                {"page_size", "51"},
                                {"page", "0"},
                                {"unknown", "ignored"}});
  ASSERT_EQ(parsed.issues.size(), 3u);
  EXPECT_THAT(parsed.issues[0].location, ElementsAre("query", "page"));
  EXPECT_EQ(parsed.issues[0].code, "greater_than");
  EXPECT_EQ(parsed.issues[0].context_json, R"({"gt":0})");
  EXPECT_THAT(parsed.issues[1].location, ElementsAre("query", "page_size"));
  EXPECT_EQ(parsed.issues[1].context_json, R"({"le":50})");
  EXPECT_EQ(parsed.issues[1].input_json, R"("51")");
  EXPECT_THAT(parsed.issues[2].location, ElementsAre("query", "personal_token_id"));
  EXPECT_EQ(parsed.issues[2].location_index, 1);
  EXPECT_THAT(parsed.issues[2].message, HasSubstr("invalid length"));
}

TEST(PersonalTokenMessagesTest, RefreshWithoutBodyIsMissingLikePydantic) {
  auto parsed = ParseRefreshBody("");
  ASSERT_EQ(parsed.issues.size(), 1u);
  EXPECT_THAT(parsed.issues[0].location, ElementsAre("body"));
  EXPECT_EQ(parsed.issues[0].code, "missing");
  EXPECT_EQ(parsed.issues[0].input_json, "null");
  EXPECT_TRUE(ParseRefreshBody("{}").value.has_value());
}

TEST(PersonalTokenMessagesTest, MissingNameEchoesTheWholeBody) {
  auto parsed = ParseCreateBody(R"({"until": null})");
  ASSERT_EQ(parsed.issues.size(), 1u);
  EXPECT_EQ(parsed.issues[0].code, "missing");
  EXPECT_EQ(parsed.issues[0].input_json, R"({"until": null})");
}

TEST(PersonalTokenMessagesTest, CreateIssuesComeInFieldOrderThenExtras) {
  auto parsed = ParseCreateBody(R"({"extra": 1, "until": "2030-13-01", "name": 5})");
  ASSERT_EQ(parsed.issues.size(), 3u);
  EXPECT_THAT(parsed.issues[0].location, ElementsAre("body", "name"));
  EXPECT_THAT(parsed.issues[1].location, ElementsAre("body", "until"));
  EXPECT_THAT(parsed.issues[2].location, ElementsAre("body", "extra"));
}

TEST(PersonalTokenMessagesTest, EmptyListHasOnePageAsInDataRentgen) {
  const std::string json = ListJson(ListQuery{.page = 3, .page_size = 1}, v1::ListTokensResponse());
  EXPECT_THAT(json, HasSubstr(R"("pages_count":1)"));
  EXPECT_THAT(json, HasSubstr(R"("has_next":false)"));
  EXPECT_THAT(json, HasSubstr(R"("previous_page":2)"));
}

TEST(PersonalTokenMessagesTest, HasNextWhileRowsRemainBeyondThisPage) {
  v1::ListTokensResponse response;
  response.set_total_count(3);
  response.add_tokens();
  response.add_tokens();
  const std::string json = ListJson(ListQuery{.page = 1, .page_size = 2}, response);
  EXPECT_THAT(json, HasSubstr(R"("pages_count":2,"has_next":true)"));
}

}  // namespace
}  // namespace tokengate
