// The admin list's query (pydantic's lax booleans) and the JSON of a token's
// events, of the admin list and of an offboarding answer.
#include "services/api/tokens/admin_messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokengate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(AdminMessagesTest, ActiveTakesPydanticsBooleanSpellings) {
  for (const char* yes : {"true", "1", "on", "YES", "t", "y"}) {
    auto parsed = ParseAdminListQuery({{"active", yes}});
    ASSERT_TRUE(parsed.value.has_value()) << yes;
    EXPECT_TRUE(parsed.value->active_only) << yes;
  }
  for (const char* no : {"false", "0", "off", "No", "f", "n"}) {
    auto parsed = ParseAdminListQuery({{"active", no}});
    ASSERT_TRUE(parsed.value.has_value()) << no;
    EXPECT_FALSE(parsed.value->active_only) << no;
  }
}

TEST(AdminMessagesTest, BadQueryNamesEachParameter) {
  auto parsed = ParseAdminListQuery({{"active", "maybe"}, {"page_size", "0"}, {"user", "bob"}});
  ASSERT_EQ(parsed.issues.size(), 2u);
  EXPECT_THAT(parsed.issues[0].location, ElementsAre("query", "active"));
  EXPECT_EQ(parsed.issues[0].code, "bool_parsing");
  EXPECT_EQ(parsed.issues[0].input_json, R"("maybe")");
  EXPECT_THAT(parsed.issues[1].location, ElementsAre("query", "page_size"));
}

TEST(AdminMessagesTest, DefaultsAreEveryUserEveryTokenFirstPage) {
  auto parsed = ParseAdminListQuery({});
  ASSERT_TRUE(parsed.value.has_value());
  EXPECT_EQ(parsed.value->user, "");
  EXPECT_FALSE(parsed.value->active_only);
  EXPECT_EQ(parsed.value->page.page, 1);
  EXPECT_EQ(parsed.value->page.page_size, kDefaultPageSize);
}

TEST(AdminMessagesTest, EventsJsonHasMillisecondsAndNullsForWhatIsUnknown) {
  v1::ListTokenEventsResponse response;
  response.set_total_count(3);
  v1::AuditEvent* event = response.add_events();
  event->set_id(42);
  event->set_at_unix_ms(1764288000123);
  event->set_event("token.revoked");
  event->set_actor_kind("admin");
  event->set_actor_name("carol");
  event->set_user_name("bob");
  event->set_token_id("0192f1a2-b3c4-7d5e-8f60-0123456789ab");
  event->set_token_name("etl");
  event->set_client_address("203.0.113.9");
  const std::string json = EventsJson(PageQuery{.page = 1, .page_size = 1}, response);
  EXPECT_THAT(
      json, HasSubstr(R"("id":42,"data":{"id":42,"at":"2025-11-28T00:00:00.123Z","event":"token.revoked")"));
  EXPECT_THAT(
      json, HasSubstr(R"("client_address":"203.0.113.9","user_agent":null,"request_id":null,"detail":null)"));
  EXPECT_THAT(json, HasSubstr(R"("total_count":3,"pages_count":3,"has_next":true)"));
}

TEST(AdminMessagesTest, AdminItemsNameTheOwnerAndRevocation) {
  v1::AdminListTokensResponse response;
  response.set_total_count(1);
  v1::PersonalToken* token = response.add_tokens();
  token->set_id("0192f1a2-b3c4-7d5e-8f60-0123456789ab");
  token->set_name("etl");
  token->set_user_name("bob");
  token->set_revoked_at_unix(1764288000);
  const std::string json = AdminListJson(AdminListQuery{}, response);
  EXPECT_THAT(json,
              HasSubstr(R"("user_name":"bob","revoked_at":"2025-11-28T00:00:00Z","last_used_from":null)"));
}

TEST(AdminMessagesTest, OffboardingAnswerCountsAndNamesTheTokens) {
  v1::RevokeUserTokensResponse response;
  response.set_revoked_count(2);
  response.add_token_ids("a");
  response.add_token_ids("b");
  EXPECT_EQ(RevokedUserTokensJson(response), R"({"revoked_count":2,"token_ids":["a","b"]})");
}

}  // namespace
}  // namespace tokengate
