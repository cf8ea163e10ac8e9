// Token management RPCs over real gRPC against the real binary and PostgreSQL.
#include <thread>

#include <gmock/gmock.h>

#include "absl/strings/str_cat.h"
#include "common/base/dates.h"
#include "tests/integration/token_authority/authority_fixture.h"

namespace tokengate::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Today() { return FormatDay(UtcDay(absl::Now())); }

TEST_F(AuthorityTest, IssueStoresTheRowButNeverTheContent) {
  const auto issued = Issue("alice", "etl");
  EXPECT_EQ(issued.token().since(), Today());
  EXPECT_EQ(issued.token().until(), FormatDay(UtcDay(absl::Now()) + 366));
  EXPECT_THAT(issued.token().scopes(), ElementsAre("all:read", "all:write"));
  const std::string signature = issued.content().substr(issued.content().rfind('.') + 1);
  EXPECT_EQ(
      db_.Query(absl::StrCat("SELECT count(*) FROM personal_token WHERE id = '", issued.token().id(), "'")),
      "1");
  EXPECT_EQ(db_.Query(absl::StrCat("SELECT count(*) FROM personal_token t WHERE row_to_json(t)::text LIKE '%",
                                   signature, "%'")),
            "0");
  EXPECT_THAT(authority_->Log(), ::testing::Not(HasSubstr(signature)));
  EXPECT_THAT(authority_->Log(), HasSubstr(issued.token().id()));
}

TEST_F(AuthorityTest, IssueWithoutNameIsInvalidArgumentNamingTheField) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  v1::IssueTokenResponse response;
  auto context = Context();
  auto status = stub_->IssueToken(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Trailer(*context, "tokengate-field"), "name");
  EXPECT_EQ(Trailer(*context, "tokengate-code"), "string_too_short");
}

TEST_F(AuthorityTest, IssueWithUntilInThePastIsInvalidArgument) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("etl");
  request.set_until("2020-01-01");
  v1::IssueTokenResponse response;
  auto context = Context();
  auto status = stub_->IssueToken(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "Date should be in the future");
  EXPECT_EQ(Trailer(*context, "tokengate-code"), "date_future");
}

TEST_F(AuthorityTest, IssueBeyondMaxDurationNamesTheMaxDate) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("etl");
  request.set_until(FormatDay(UtcDay(absl::Now()) + 367));
  v1::IssueTokenResponse response;
  auto status = stub_->IssueToken(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr(FormatDay(UtcDay(absl::Now()) + 366)));
}

TEST_F(AuthorityTest, SecondLiveTokenWithSameNameIsAlreadyExists) {
  Issue("alice", "etl");
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("etl");
  v1::IssueTokenResponse response;
  auto status = stub_->IssueToken(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(status.error_message(), "PersonalToken with name='etl' already exists");
}

TEST_F(AuthorityTest, SameNameForAnotherUserOrAfterRevokeIsFine) {
  const auto first = Issue("alice", "etl");
  Issue("bob", "etl");
  ASSERT_TRUE(Revoke("alice", first.token().id()).ok());
  Issue("alice", "etl");
}

TEST_F(AuthorityTest, ConcurrentCreatesWithOneNameLetExactlyOneWin) {
  constexpr int kCallers = 8;
  std::atomic<int> ok{0}, exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      v1::IssueTokenRequest request;
      request.set_user_name("racer");
      request.set_name("same");
      v1::IssueTokenResponse response;
      auto status = stub_->IssueToken(Context().get(), request, &response);
      if (status.ok()) ++ok;
      if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) ++exists;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exists.load(), kCallers - 1);
}

TEST_F(AuthorityTest, NulInAUserNameIsInvalidArgumentNotAnotherUser) {
  const auto victims = Issue("victim", "etl");
  const std::string hostile("victim\0x", 8);

  v1::ListTokensRequest list;
  list.set_user_name(hostile);
  v1::ListTokensResponse listed;
  auto list_context = Context();
  auto status = stub_->ListTokens(list_context.get(), list, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Trailer(*list_context, "tokengate-field"), "user_name");
  EXPECT_EQ(listed.tokens_size(), 0) << "the victim's tokens must not be listed";

  v1::IssueTokenRequest issue;
  issue.set_user_name(hostile);
  issue.set_name("mine");
  v1::IssueTokenResponse issued;
  EXPECT_EQ(stub_->IssueToken(Context().get(), issue, &issued).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::RefreshTokenRequest refresh;
  refresh.set_user_name(hostile);
  refresh.set_token_id(victims.token().id());
  v1::RefreshTokenResponse refreshed;
  EXPECT_EQ(stub_->RefreshToken(Context().get(), refresh, &refreshed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token"), "1");
  EXPECT_EQ(db_.Query("SELECT string_agg(name, ',') FROM \"user\""), "victim");
}

TEST_F(AuthorityTest, ControlCharactersInATokenNameAreInvalidArgumentNotCut) {
  for (const std::string& name : {std::string("abc\0def", 7), std::string("abc\r\ndef")}) {
    v1::IssueTokenRequest request;
    request.set_user_name("alice");
    request.set_name(name);
    v1::IssueTokenResponse response;
    auto context = Context();
    auto status = stub_->IssueToken(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(Trailer(*context, "tokengate-field"), "name");
    EXPECT_EQ(Trailer(*context, "tokengate-code"), "string_pattern_mismatch");
  }
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token"), "0");
}

TEST_F(AuthorityTest, ReadOnlyScopeIsKept) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("reader");
  request.add_scopes("all:read");
  v1::IssueTokenResponse response;
  ASSERT_TRUE(stub_->IssueToken(Context().get(), request, &response).ok());
  EXPECT_THAT(Verify(response.content()).scopes(), ElementsAre("all:read"));
}

TEST_F(AuthorityTest, RefreshRevokesOldAndKeepsNameAndScopes) {
  v1::IssueTokenRequest issue;
  issue.set_user_name("alice");
  issue.set_name("etl");
  issue.add_scopes("all:read");
  v1::IssueTokenResponse old;
  ASSERT_TRUE(stub_->IssueToken(Context().get(), issue, &old).ok());

  v1::RefreshTokenRequest request;
  request.set_user_name("alice");
  request.set_token_id(old.token().id());
  request.set_until(FormatDay(UtcDay(absl::Now()) + 30));
  v1::RefreshTokenResponse fresh;
  ASSERT_TRUE(stub_->RefreshToken(Context().get(), request, &fresh).ok());
  EXPECT_NE(fresh.token().id(), old.token().id());
  EXPECT_EQ(fresh.token().name(), "etl");
  EXPECT_THAT(fresh.token().scopes(), ElementsAre("all:read"));
  EXPECT_EQ(fresh.token().until(), request.until());
  EXPECT_TRUE(Verify(old.content()).revoked());
  EXPECT_TRUE(Verify(fresh.content()).valid());
}

TEST_F(AuthorityTest, RefreshOfAnotherUsersOrUnknownTokenIsNotFound) {
  const auto issued = Issue("alice", "etl");
  for (const auto& [user, id] : std::vector<std::pair<std::string, std::string>>{
           {"mallory", issued.token().id()}, {"alice", "0192f1a2-b3c4-7d5e-8f60-0123456789ab"}}) {
    v1::RefreshTokenRequest request;
    request.set_user_name(user);
    request.set_token_id(id);
    v1::RefreshTokenResponse response;
    EXPECT_EQ(stub_->RefreshToken(Context().get(), request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_TRUE(Verify(issued.content()).valid());
}

TEST_F(AuthorityTest, RevokingTwiceIsNotFoundAsInDataRentgenAndOthersCannotRevoke) {
  const auto issued = Issue("alice", "etl");
  EXPECT_EQ(Revoke("mallory", issued.token().id()).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Verify(issued.content()).valid());
  EXPECT_TRUE(Revoke("alice", issued.token().id()).ok());
  const grpc::Status again = Revoke("alice", issued.token().id());
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(again.error_message(), "PersonalToken with id='" + issued.token().id() + "' not found");
  EXPECT_EQ(Revoke("alice", "0192f1a2-b3c4-7d5e-8f60-0123456789ab").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Revoke("alice", "not-a-uuid").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuthorityTest, GetTokenShowsOnlyTheOwnersToken) {
  const auto issued = Issue("alice", "etl");
  v1::GetTokenRequest request;
  request.set_user_name("alice");
  request.set_token_id(issued.token().id());
  v1::GetTokenResponse response;
  ASSERT_TRUE(stub_->GetToken(Context().get(), request, &response).ok());
  EXPECT_EQ(response.token().name(), "etl");
  request.set_user_name("bob");
  EXPECT_EQ(stub_->GetToken(Context().get(), request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthorityTest, ListPagesLiveTokensByNameWithTotal) {
  std::vector<std::string> ids;
  for (const char* name : {"t0", "t4", "t2", "t3", "t1"}) ids.push_back(Issue("alice", name).token().id());
  Issue("bob", "other");
  ASSERT_TRUE(Revoke("alice", ids[0]).ok());

  v1::ListTokensRequest request;
  request.set_user_name("alice");
  request.set_page(1);
  request.set_page_size(3);
  v1::ListTokensResponse response;
  ASSERT_TRUE(stub_->ListTokens(Context().get(), request, &response).ok());
  EXPECT_EQ(response.total_count(), 4);
  ASSERT_EQ(response.tokens_size(), 3);
  EXPECT_EQ(response.tokens(0).name(), "t1");
  EXPECT_EQ(response.tokens(1).name(), "t2");
  EXPECT_EQ(response.tokens(2).name(), "t3");

  request.set_page(5);
  ASSERT_TRUE(stub_->ListTokens(Context().get(), request, &response).ok());
  EXPECT_EQ(response.tokens_size(), 0);
  EXPECT_EQ(response.total_count(), 4);

  request.set_page(1);
  request.add_token_ids(ids[2]);
  ASSERT_TRUE(stub_->ListTokens(Context().get(), request, &response).ok());
  ASSERT_EQ(response.tokens_size(), 1);
  EXPECT_EQ(response.tokens(0).id(), ids[2]);

  request.add_token_ids(ids[1]);
  request.add_token_ids(ids[0]);  // Revoked: not listed.
  ASSERT_TRUE(stub_->ListTokens(Context().get(), request, &response).ok());
  EXPECT_EQ(response.total_count(), 2);
  ASSERT_EQ(response.tokens_size(), 2);
  EXPECT_EQ(response.tokens(0).id(), ids[2]);  // t2 before t4.
  EXPECT_EQ(response.tokens(1).id(), ids[1]);
}

TEST_F(AuthorityTest, ListShowsOnlyTheNewestLiveTokenOfEachName) {
  const auto current = Issue("alice", "etl");
  // A later, non-overlapping token of the same name (as an import may bring).
  db_.Query(
      "INSERT INTO personal_token (id, user_id, name, scopes, since, until) "
      "SELECT '0192f1a2-b3c4-7d5e-8f60-0123456789ab', user_id, name, scopes, until + 1, until + 30 "
      "FROM personal_token WHERE id = '" +
      current.token().id() + "'");
  v1::ListTokensRequest request;
  request.set_user_name("alice");
  v1::ListTokensResponse response;
  ASSERT_TRUE(stub_->ListTokens(Context().get(), request, &response).ok());
  EXPECT_EQ(response.total_count(), 1);
  ASSERT_EQ(response.tokens_size(), 1);
  EXPECT_EQ(response.tokens(0).id(), "0192f1a2-b3c4-7d5e-8f60-0123456789ab");
}

TEST_F(AuthorityTest, ListRejectsPageSizeOverFifty) {
  v1::ListTokensRequest request;
  request.set_user_name("alice");
  request.set_page_size(51);
  v1::ListTokensResponse response;
  auto context = Context();
  EXPECT_EQ(stub_->ListTokens(context.get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Trailer(*context, "tokengate-field"), "page_size");
}

TEST_F(AuthorityTest, LastUsedAtIsWrittenInBatches) {
  const auto issued = Issue("alice", "etl");
  for (int i = 0; i < 20; ++i) Verify(issued.content());
  const std::string query = absl::StrCat("SELECT last_used_at IS NOT NULL FROM personal_token WHERE id = '",
                                         issued.token().id(), "'");
  EXPECT_TRUE(Eventually([&] { return db_.Query(query) == "t"; }, std::chrono::seconds(5)));
}

TEST_F(AuthorityTest, DisabledPersonalTokensFailIssueAndVerify) {
  const auto issued = Issue("alice", "etl");
  auto disabled = StartAuthority({{"TOKENGATE_PERSONAL_TOKENS_ENABLED", "false"}});
  ASSERT_NE(disabled, nullptr);
  auto stub = StubFor(disabled->port());
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("x");
  v1::IssueTokenResponse response;
  EXPECT_EQ(stub->IssueToken(Context().get(), request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  const auto answer = Verify(issued.content(), stub.get());
  EXPECT_FALSE(answer.valid());
  EXPECT_EQ(answer.reason(), "Authentication using PersonalTokens is disabled");
}

}  // namespace
}  // namespace tokengate::testing
