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
  EXPECT_THAT(parsed.value->token_ids,
              ElementsAre("0192f1a2-b3c4-7d5e-8f60-0123456789ab", "0192f1a2-b3c4-7d5e-8f60-0123456789ac"));
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

TEST(PersonalTokenMessagesTest, CreateTakesTheLimitsAndNullMeansNone) {
  auto parsed = ParseCreateBody(
      R"({"name":"n","scopes":["all:write"],"namespaces":["spark-*"],"networks":["10.0.0.0/8"]})");
  ASSERT_TRUE(parsed.value.has_value());
  EXPECT_THAT(parsed.value->limits.scopes, ElementsAre("all:write"));
  EXPECT_THAT(parsed.value->limits.namespaces, ElementsAre("spark-*"));
  EXPECT_THAT(parsed.value->limits.networks, ElementsAre("10.0.0.0/8"));
  auto nulls = ParseCreateBody(R"({"name":"n","scopes":null,"namespaces":null,"networks":null})");
  ASSERT_TRUE(nulls.value.has_value());
  EXPECT_TRUE(nulls.value->limits.scopes.empty() && nulls.value->limits.networks.empty());
}

TEST(PersonalTokenMessagesTest, LimitIssuesComeAfterUntilAndBeforeExtrasEchoingTheEntry) {
  auto parsed = ParseCreateBody(
      R"({"extra":1,"networks":["10.0.0.1/8"],"namespaces":[5],"scopes":"all:read","name":"n"})");
  ASSERT_EQ(parsed.issues.size(), 4u);
  EXPECT_THAT(parsed.issues[0].location, ElementsAre("body", "scopes"));
  EXPECT_EQ(parsed.issues[0].code, "list_type");
  EXPECT_THAT(parsed.issues[1].location, ElementsAre("body", "namespaces"));
  EXPECT_EQ(parsed.issues[1].location_index, 0);
  EXPECT_EQ(parsed.issues[1].code, "string_type");
  EXPECT_EQ(parsed.issues[2].location_index, 0);
  EXPECT_EQ(parsed.issues[2].input_json, R"("10.0.0.1/8")");
  EXPECT_THAT(parsed.issues[2].message, HasSubstr("host bits"));
  EXPECT_EQ(parsed.issues[3].code, "extra_forbidden");
}

TEST(PersonalTokenMessagesTest, RefreshTakesTheLimitsAndAnEmptyScopeListIsTooShort) {
  auto parsed = ParseRefreshBody(R"({"namespaces":["spark-etl"]})");
  ASSERT_TRUE(parsed.value.has_value());
  EXPECT_THAT(parsed.value->limits.namespaces, ElementsAre("spark-etl"));
  auto empty = ParseRefreshBody(R"({"scopes":[]})");
  ASSERT_EQ(empty.issues.size(), 1u);
  EXPECT_EQ(empty.issues[0].code, "too_short");
}

TEST(PersonalTokenMessagesTest, TokenDataNamesLimitsOnlyWhenSet) {
  v1::PersonalToken token;
  token.set_id("i");
  token.add_scopes("all:write");
  JsonWriter plain;
  plain.BeginObject();
  WriteTokenData(plain, token);
  plain.EndObject();
  EXPECT_EQ(
      plain.Take(),
      R"({"id":"i","data":{"id":"i","name":"","scopes":["all:write"],"since":"","until":"","last_used_at":null}})");
  token.add_namespaces("spark-*");
  token.add_networks("10.0.0.0/8");
  JsonWriter limited;
  limited.BeginObject();
  WriteTokenData(limited, token);
  limited.EndObject();
  EXPECT_THAT(
      limited.Take(),
      HasSubstr(R"("scopes":["all:write"],"namespaces":["spark-*"],"networks":["10.0.0.0/8"],"since")"));
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
