// Many writers of one user's tokens at once (issue, refresh, revoke of the same
// names) against the real binary: every call gets a contract answer, never a
// database error, and one live token per (user, name) remains the rule.
#include <atomic>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>

#include "absl/strings/str_cat.h"
#include "tests/integration/token_authority/authority_fixture.h"

namespace tokengate::testing {
namespace {

constexpr int kRounds = 12;
constexpr int kUsers = 3;
constexpr int kNames = 2;
constexpr int kCreatorsPerName = 6;

// Answers the contract allows for these calls; anything else is a failure.
bool Expected(const grpc::Status& status) {
  return status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS ||
         status.error_code() == grpc::StatusCode::NOT_FOUND;
}

struct Pair {
  std::string user;
  std::string name;
};

TEST_F(AuthorityTest, ConcurrentIssueRefreshRevokeOfOneUserNeverFailAndKeepOneLiveTokenPerName) {
  std::vector<Pair> pairs;
  for (int u = 0; u < kUsers; ++u) {
    for (int n = 0; n < kNames; ++n) pairs.push_back({absl::StrCat("stress", u), absl::StrCat("name", n)});
  }
  std::mutex mutex;
  std::vector<std::string> unexpected;
  const auto check = [&](const char* what, const grpc::Status& status) {
    if (Expected(status)) return;
    std::lock_guard lock(mutex);
    unexpected.push_back(absl::StrCat(what, ": code ", status.error_code(), " ", status.error_message()));
  };

  for (int round = 0; round < kRounds; ++round) {
    // Phase 1: every name of every user is created by several callers at once.
    std::vector<std::atomic<int>> wins(pairs.size());
    std::vector<std::string> winner(pairs.size());
    std::vector<std::thread> threads;
    for (size_t p = 0; p < pairs.size(); ++p) {
      for (int c = 0; c < kCreatorsPerName; ++c) {
        threads.emplace_back([&, p] {
          v1::IssueTokenRequest request;
          request.set_user_name(pairs[p].user);
          request.set_name(pairs[p].name);
          v1::IssueTokenResponse response;
          const auto status = stub_->IssueToken(Context().get(), request, &response);
          check("issue", status);
          if (status.ok() && wins[p]++ == 0) winner[p] = response.token().id();
        });
      }
    }
    for (auto& t : threads) t.join();
    threads.clear();
    for (size_t p = 0; p < pairs.size(); ++p) {
      ASSERT_EQ(wins[p].load(), 1) << "round " << round << ": creates of " << pairs[p].user << "/"
                                   << pairs[p].name << " must have exactly one winner";
    }

    // Phase 2: each winner is refreshed twice and revoked twice, all at once.
    std::vector<std::atomic<int>> refreshed(pairs.size());
    std::vector<std::string> fresh_id(pairs.size());
    for (size_t p = 0; p < pairs.size(); ++p) {
      for (int c = 0; c < 2; ++c) {
        threads.emplace_back([&, p] {
          v1::RefreshTokenRequest request;
          request.set_user_name(pairs[p].user);
          request.set_token_id(winner[p]);
          v1::RefreshTokenResponse response;
          const auto status = stub_->RefreshToken(Context().get(), request, &response);
          check("refresh", status);
          if (status.ok() && refreshed[p]++ == 0) fresh_id[p] = response.token().id();
        });
        threads.emplace_back([&, p] { check("revoke", Revoke(pairs[p].user, winner[p])); });
      }
    }
    for (auto& t : threads) t.join();
    for (size_t p = 0; p < pairs.size(); ++p) {
      ASSERT_LE(refreshed[p].load(), 1) << "a token can be refreshed once";
      // Clear the name for the next round.
      if (refreshed[p].load() == 1) {
        ASSERT_TRUE(Revoke(pairs[p].user, fresh_id[p]).ok());
      }
    }
  }
  EXPECT_THAT(unexpected, ::testing::IsEmpty());
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token WHERE revoked_at IS NULL"), "0");
  EXPECT_EQ(db_.Query(absl::StrCat("SELECT count(DISTINCT (user_id, name)) FROM personal_token")),
            absl::StrCat(pairs.size()));
}

}  // namespace
}  // namespace tokengate::testing
