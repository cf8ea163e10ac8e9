// The session table against a real PostgreSQL, as two api replicas see it:
// a login started on one finishes on the other, once; a session made on one
// is found, refreshed and ended on the other; rows hold neither the cookie
// nor the IdP's tokens in clear; time and the caps bound what stays.
#include "services/api/auth/oidc/session_store.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "common/pg/migrations.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

constexpr absl::string_view kSecret = "0123456789abcdef0123456789abcdef";

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = PgConnection::Connect(db_.url());
    ASSERT_THAT(conn, IsOk());
    ASSERT_THAT(ApplyMigrations(**conn, EmbeddedMigrations()), IsOk());
  }

  Session SessionOf(const std::string& user) {
    return Session{.user_name = user,
                   .email = user + "@example.test",
                   .admin = true,
                   .refresh_token = "refresh-" + user,
                   .id_token = "id-" + user,
                   .access_expires_at = clock_.Now() + absl::Minutes(5),
                   .ends_at = clock_.Now() + absl::Hours(10)};
  }

  testing::TestDatabase db_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  PgPool pool_a_{db_.url(), 2};
  PgPool pool_b_{db_.url(), 2};
  SessionStoreLimits limits_{.max_pending = 2, .pending_lifetime = absl::Minutes(10)};
  SessionStore replica_a_{&pool_a_, kSecret, limits_, &clock_};
  SessionStore replica_b_{&pool_b_, kSecret, limits_, &clock_};
};

TEST_F(SessionStoreTest, LoginStartedOnOneReplicaFinishesOnTheOtherOnce) {
  auto state = replica_a_.StartLogin({.nonce = "n", .code_verifier = "v", .next = "/docs"});
  ASSERT_THAT(state, IsOk());
  auto login = replica_b_.TakeLogin(*state);
  ASSERT_THAT(login, IsOk());
  ASSERT_TRUE(login->has_value());
  EXPECT_EQ((*login)->nonce, "n");
  EXPECT_EQ((*login)->code_verifier, "v");
  EXPECT_EQ((*login)->next, "/docs");
  auto again = replica_a_.TakeLogin(*state);
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->has_value()) << "a state works once";
}

TEST_F(SessionStoreTest, ExpiredLoginStateIsRefused) {
  auto state = replica_a_.StartLogin({.nonce = "n"});
  ASSERT_THAT(state, IsOk());
  clock_.Advance(absl::Minutes(10));
  auto login = replica_b_.TakeLogin(*state);
  ASSERT_THAT(login, IsOk());
  EXPECT_FALSE(login->has_value());
}

TEST_F(SessionStoreTest, PendingLoginsAreBoundedAndTheOldestGivesWay) {
  auto first = replica_a_.StartLogin({.nonce = "1"});
  clock_.Advance(absl::Seconds(1));
  auto second = replica_b_.StartLogin({.nonce = "2"});
  clock_.Advance(absl::Seconds(1));
  auto third = replica_a_.StartLogin({.nonce = "3"});
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  EXPECT_EQ(db_.Query("SELECT count(*) FROM oidc_login"), "2");
  EXPECT_FALSE(replica_a_.TakeLogin(*first)->has_value()) << "the oldest login gives way";
  EXPECT_TRUE(replica_a_.TakeLogin(*second)->has_value());
  EXPECT_TRUE(replica_a_.TakeLogin(*third)->has_value());
}

TEST_F(SessionStoreTest, SessionMadeOnOneReplicaIsServedByTheOther) {
  auto id = replica_a_.Create(SessionOf("alice"));
  ASSERT_THAT(id, IsOk());
  auto found = replica_b_.Find(*id);
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->user_name, "alice");
  EXPECT_EQ((*found)->email, "alice@example.test");
  EXPECT_TRUE((*found)->admin);
  EXPECT_EQ((*found)->refresh_token, "refresh-alice");
  EXPECT_EQ((*found)->id_token, "id-alice");
  EXPECT_EQ((*found)->access_expires_at, clock_.Now() + absl::Minutes(5));
  EXPECT_EQ((*found)->ends_at, clock_.Now() + absl::Hours(10));
}

TEST_F(SessionStoreTest, RowsHoldNeitherTheCookieNorTheTokensInClear) {
  auto id = replica_a_.Create(SessionOf("alice"));
  auto state = replica_a_.StartLogin({.nonce = "nonce-x", .code_verifier = "verifier-x"});
  ASSERT_TRUE(id.ok() && state.ok());
  const std::string rows = db_.Query(
      "SELECT string_agg(t, ' ') FROM "
      "(SELECT session::text AS t FROM session UNION ALL SELECT oidc_login::text FROM oidc_login) rows");
  for (const std::string& secret : {*id, *state, std::string("refresh-alice"), std::string("id-alice"),
                                    std::string("verifier-x"), absl::BytesToHexString("refresh-alice")}) {
    EXPECT_EQ(rows.find(secret), std::string::npos) << secret << " is in a row: " << rows;
  }
}

TEST_F(SessionStoreTest, RefreshOnOneReplicaIsSeenByTheOther) {
  auto id = replica_a_.Create(SessionOf("alice"));
  ASSERT_THAT(id, IsOk());
  Session refreshed = SessionOf("alice");
  refreshed.refresh_token = "refresh-2";
  refreshed.admin = false;
  refreshed.access_expires_at = clock_.Now() + absl::Minutes(7);
  auto updated = replica_b_.Update(*id, refreshed);
  ASSERT_THAT(updated, IsOk());
  EXPECT_TRUE(*updated);
  auto found = replica_a_.Find(*id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->refresh_token, "refresh-2");
  EXPECT_FALSE((*found)->admin);
  EXPECT_EQ((*found)->access_expires_at, clock_.Now() + absl::Minutes(7));
}

TEST_F(SessionStoreTest, LogoutOnOneReplicaEndsTheSessionOnTheOther) {
  auto id = replica_a_.Create(SessionOf("alice"));
  ASSERT_THAT(id, IsOk());
  auto removed = replica_b_.Remove(*id);
  ASSERT_TRUE(removed.ok() && removed->has_value());
  EXPECT_EQ((*removed)->refresh_token, "refresh-alice") << "logout ends the IdP session with it";
  EXPECT_FALSE(replica_a_.Find(*id)->has_value());
  EXPECT_FALSE(*replica_a_.Update(*id, SessionOf("alice"))) << "a refresh cannot bring it back";
  EXPECT_FALSE(replica_a_.Remove(*id)->has_value());
}

TEST_F(SessionStoreTest, SessionEndsAtItsUpperBound) {
  auto id = replica_a_.Create(SessionOf("alice"));
  ASSERT_THAT(id, IsOk());
  clock_.Advance(absl::Hours(10));
  EXPECT_FALSE(replica_b_.Find(*id)->has_value());
  EXPECT_FALSE(*replica_b_.Update(*id, SessionOf("alice")));
}

TEST_F(SessionStoreTest, AReplicaWithAnotherSecretSeesNoSession) {
  PgPool pool(db_.url(), 1);
  SessionStore stranger(&pool, "another secret of at least 32 bytes!", limits_, &clock_);
  auto id = replica_a_.Create(SessionOf("alice"));
  ASSERT_THAT(id, IsOk());
  auto found = stranger.Find(*id);
  ASSERT_THAT(found, IsOk());
  EXPECT_FALSE(found->has_value());
}

TEST_F(SessionStoreTest, AnIdOneCharacterShortIsUnknown) {
  auto id = replica_a_.Create(SessionOf("alice"));
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->size(), 43u);
  EXPECT_FALSE(replica_a_.Find(id->substr(0, 42))->has_value());
}

TEST_F(SessionStoreTest, PruningDeletesOnlyWhatHasEnded) {
  auto ending = replica_a_.Create(SessionOf("early"));
  auto state = replica_a_.StartLogin({.nonce = "n"});
  clock_.Advance(absl::Hours(1));
  Session later = SessionOf("late");
  auto staying = replica_a_.Create(later);
  ASSERT_TRUE(ending.ok() && state.ok() && staying.ok());
  clock_.Advance(absl::Hours(9));
  auto pruned = replica_b_.PruneOnce();
  ASSERT_THAT(pruned, IsOk());
  EXPECT_EQ(*pruned, 2) << "the ended session and the expired login";
  EXPECT_EQ(db_.Query("SELECT user_name FROM session"), "late");
  EXPECT_EQ(db_.Query("SELECT count(*) FROM oidc_login"), "0");
}

TEST_F(SessionStoreTest, WithoutTheDatabaseEveryCallIsUnavailable) {
  PgPool nowhere("postgresql://127.0.0.1:1/none?connect_timeout=2", 1);
  SessionStore store(&nowhere, kSecret, limits_, &clock_);
  EXPECT_EQ(store.Find("x").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.StartLogin({}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.Create(SessionOf("a")).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tokengate
