// The server-side login state: a login state works once and expires, sessions
// end on logout, and the maps stay bounded; PKCE's S256 matches RFC 7636.
#include "services/api/auth/oidc/session_store.h"

#include <gtest/gtest.h>

#include "services/api/auth/oidc/oidc_login.h"

namespace tokengate {
namespace {

class SessionStoreTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  SessionStore store_{SessionStoreLimits{.max_pending = 2, .max_sessions = 2,
                                         .pending_lifetime = absl::Minutes(10)},
                      &clock_};

  Session SessionOf(const std::string& user) {
    return Session{.user_name = user, .refresh_token = "r", .id_token = "i",
                   .access_expires_at = clock_.Now() + absl::Minutes(5),
                   .ends_at = clock_.Now() + absl::Hours(10)};
  }
};

TEST_F(SessionStoreTest, LoginStateWorksOnce) {
  const std::string state = store_.StartLogin({.nonce = "n", .code_verifier = "v", .next = "/"});
  auto login = store_.TakeLogin(state);
  ASSERT_TRUE(login.has_value());
  EXPECT_EQ(login->nonce, "n");
  EXPECT_FALSE(store_.TakeLogin(state).has_value());
}

TEST_F(SessionStoreTest, ExpiredLoginStateIsRefused) {
  const std::string state = store_.StartLogin({.nonce = "n"});
  clock_.Advance(absl::Minutes(10));
  EXPECT_FALSE(store_.TakeLogin(state).has_value());
}

TEST_F(SessionStoreTest, PendingLoginsAreBounded) {
  const std::string first = store_.StartLogin({.nonce = "1"});
  clock_.Advance(absl::Seconds(1));
  const std::string second = store_.StartLogin({.nonce = "2"});
  clock_.Advance(absl::Seconds(1));
  const std::string third = store_.StartLogin({.nonce = "3"});
  EXPECT_FALSE(store_.TakeLogin(first).has_value()) << "the oldest login gives way";
  EXPECT_TRUE(store_.TakeLogin(second).has_value());
  EXPECT_TRUE(store_.TakeLogin(third).has_value());
}

TEST_F(SessionStoreTest, RemovedSessionIsGone) {
  const std::string id = store_.Create(SessionOf("alice"));
  ASSERT_TRUE(store_.Find(id).has_value());
  EXPECT_EQ(store_.Remove(id)->user_name, "alice");
  EXPECT_FALSE(store_.Find(id).has_value());
  EXPECT_FALSE(store_.Update(id, SessionOf("alice")));
}

TEST_F(SessionStoreTest, SessionEndsAtItsUpperBound) {
  const std::string id = store_.Create(SessionOf("alice"));
  clock_.Advance(absl::Hours(10));
  EXPECT_FALSE(store_.Find(id).has_value());
}

TEST_F(SessionStoreTest, SessionsAreBounded) {
  const std::string a = store_.Create(SessionOf("a"));
  clock_.Advance(absl::Seconds(1));
  const std::string b = store_.Create(SessionOf("b"));
  clock_.Advance(absl::Seconds(1));
  const std::string c = store_.Create(SessionOf("c"));
  EXPECT_EQ(store_.size(), 2u);
  EXPECT_FALSE(store_.Find(a).has_value());
  EXPECT_TRUE(store_.Find(c).has_value());
}

TEST_F(SessionStoreTest, IdsAreRandomAndUnguessable) {
  const std::string a = store_.Create(SessionOf("a"));
  const std::string b = store_.Create(SessionOf("b"));
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_FALSE(store_.Find(a.substr(0, 42)).has_value());
}

TEST(PkceTest, S256MatchesRfc7636AppendixB) {
  EXPECT_EQ(CodeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(SafeNextPathTest, OnlyPathsOfThisHost) {
  EXPECT_EQ(SafeNextPath("/#personal-tokens"), "/#personal-tokens");
  EXPECT_EQ(SafeNextPath("/docs"), "/docs");
  for (const char* bad : {"", "https://evil.test/", "//evil.test/", "/\\evil.test", "evil", "/a\r\nb"}) {
    EXPECT_EQ(SafeNextPath(bad), "/") << bad;
  }
}

}  // namespace
}  // namespace tokengate
