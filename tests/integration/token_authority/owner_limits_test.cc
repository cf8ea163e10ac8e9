// Per-owner limits over real gRPC against the real binary and PostgreSQL:
// live tokens capped (TOKENGATE_MAX_TOKENS_PER_OWNER) and creations rated
// (TOKENGATE_MAX_TOKEN_CREATIONS_PER_HOUR), both decided in the owner's
// locked transaction so concurrent creates cannot pass them together.
#include <atomic>
#include <thread>

#include <gmock/gmock.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/token_authority/authority_fixture.h"

namespace tokengate::testing {
namespace {

using ::testing::HasSubstr;

class OwnerLimitsTest : public AuthorityTest {
 protected:
  // Replaces the fixture's authority with one that has these limits.
  void RestartWithLimits(int live, int per_hour) {
    authority_ = StartAuthority({{"TOKENGATE_MAX_TOKENS_PER_OWNER", absl::StrCat(live)},
                                 {"TOKENGATE_MAX_TOKEN_CREATIONS_PER_HOUR", absl::StrCat(per_hour)}});
    ASSERT_NE(authority_, nullptr);
    stub_ = StubFor(authority_->port());
  }

  grpc::Status TryIssue(const std::string& user, const std::string& name,
                        grpc::ClientContext* context = nullptr) {
    v1::IssueTokenRequest request;
    request.set_user_name(user);
    request.set_name(name);
    v1::IssueTokenResponse response;
    return stub_->IssueToken(context != nullptr ? context : Context().get(), request, &response);
  }

  std::string Refresh(const std::string& user, const std::string& id) {
    v1::RefreshTokenRequest request;
    request.set_user_name(user);
    request.set_token_id(id);
    v1::RefreshTokenResponse response;
    auto status = stub_->RefreshToken(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.token().id();
  }
};

TEST_F(OwnerLimitsTest, LiveTokensBeyondTheCapAreRefusedUntilOneIsRevoked) {
  RestartWithLimits(/*live=*/3, /*per_hour=*/0);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Issue("alice", absl::StrCat("t", i)).token().id());

  auto context = Context();
  auto refused = TryIssue("alice", "t3", context.get());
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_EQ(Trailer(*context, "tokengate-code"), "too_many_tokens");
  EXPECT_THAT(refused.error_message(), HasSubstr("at most 3 active personal tokens"));
  EXPECT_TRUE(TryIssue("bob", "t0").ok()) << "the cap is per owner";

  Refresh("alice", ids[0]);  // A refresh replaces one: never refused by the cap.
  ASSERT_TRUE(Revoke("alice", ids[1]).ok());
  EXPECT_TRUE(TryIssue("alice", "t3").ok());
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token t JOIN \"user\" u ON u.id = t.user_id "
                      "WHERE u.name = 'alice' AND t.revoked_at IS NULL"),
            "3");
}

TEST_F(OwnerLimitsTest, ConcurrentCreatesCannotPassTheCap) {
  RestartWithLimits(/*live=*/5, /*per_hour=*/0);
  constexpr int kCallers = 16;
  std::atomic<int> ok{0}, capped{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      const auto status = TryIssue("racer", absl::StrCat("name", i));
      if (status.ok()) ++ok;
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++capped;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 5);
  EXPECT_EQ(capped.load(), kCallers - 5);
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token WHERE revoked_at IS NULL"), "5");
}

TEST_F(OwnerLimitsTest, CreationsBeyondTheHourlyRateAreRefusedWithTheWait) {
  RestartWithLimits(/*live=*/0, /*per_hour=*/3);
  // Revoked and refreshed rows count too: each was a creation.
  const auto first = Issue("alice", "a");
  ASSERT_TRUE(Revoke("alice", first.token().id()).ok());
  Refresh("alice", Issue("alice", "b").token().id());

  auto context = Context();
  auto refused = TryIssue("alice", "c", context.get());
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_EQ(Trailer(*context, "tokengate-code"), "too_many_requests");
  EXPECT_THAT(refused.error_message(), HasSubstr("at most 3 per hour"));
  int wait = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Trailer(*context, "tokengate-retry-after"), &wait));
  EXPECT_GT(wait, 3500) << "the oldest creation leaves the window in about an hour";
  EXPECT_LE(wait, 3600);
  EXPECT_TRUE(TryIssue("bob", "c").ok()) << "the rate is per owner";
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token"), "4");
}

TEST_F(OwnerLimitsTest, ByDefaultAnOwnerMayCreateSixtyTokensAnHour) {
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(TryIssue("alice", absl::StrCat("t", i)).ok()) << i;
  auto context = Context();
  EXPECT_EQ(TryIssue("alice", "t60", context.get()).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Trailer(*context, "tokengate-code"), "too_many_requests");
}

}  // namespace
}  // namespace tokengate::testing
