// The VerifyCache's rules (docs/design.md §7), one per test, with a fake clock and a
// fake authority that counts calls and can block or fail on demand.
#include "common/verify/verify_cache.h"

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/base/field_error.h"

namespace tokengate {
namespace {

using ::testing::Each;
using ::testing::Field;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);
const std::string kToken = "personal_token_aaaa.bbbb.cccc";

class FakeAuthority final : public VerifyBackend {
 public:
  absl::StatusOr<v1::VerifyTokenResponse> Verify(const std::string& token,
                                                 const VerifyOrigin& origin) override {
    absl::MutexLock lock(&mutex_);
    ++calls_;
    last_origin_ = origin;
    mutex_.Await(absl::Condition(&released_));
    if (!failure_.ok()) return failure_;
    auto it = answers_.find(token);
    if (it != answers_.end()) return it->second;
    v1::VerifyTokenResponse unknown;
    unknown.set_reason("Invalid token");
    return unknown;
  }

  void Answer(const std::string& token, v1::VerifyTokenResponse response) {
    absl::MutexLock lock(&mutex_);
    answers_[token] = std::move(response);
  }
  void Fail(absl::Status status) {
    absl::MutexLock lock(&mutex_);
    failure_ = std::move(status);
  }
  // Calls wait inside Verify until Release().
  void Hold() {
    absl::MutexLock lock(&mutex_);
    released_ = false;
  }
  void Release() {
    absl::MutexLock lock(&mutex_);
    released_ = true;
  }
  int calls() {
    absl::MutexLock lock(&mutex_);
    return calls_;
  }
  VerifyOrigin last_origin() {
    absl::MutexLock lock(&mutex_);
    return last_origin_;
  }

 private:
  absl::Mutex mutex_;
  std::map<std::string, v1::VerifyTokenResponse> answers_ ABSL_GUARDED_BY(mutex_);
  absl::Status failure_ ABSL_GUARDED_BY(mutex_);
  bool released_ ABSL_GUARDED_BY(mutex_) = true;
  int calls_ ABSL_GUARDED_BY(mutex_) = 0;
  VerifyOrigin last_origin_ ABSL_GUARDED_BY(mutex_);
};

v1::VerifyTokenResponse ValidAnswer(const std::string& token_id, int cache_ttl_seconds,
                                    absl::Time expires_at = kStart + absl::Hours(24)) {
  v1::VerifyTokenResponse response;
  response.set_valid(true);
  response.set_token_id(token_id);
  response.set_token_name("etl");
  response.set_user_id(7);
  response.set_user_name("alice");
  response.add_scopes("all:read");
  response.add_scopes("all:write");
  response.set_expires_at_unix(absl::ToUnixSeconds(expires_at));
  response.set_cache_ttl_seconds(cache_ttl_seconds);
  return response;
}

v1::VerifyTokenResponse InvalidAnswer(const std::string& reason, int cache_ttl_seconds) {
  v1::VerifyTokenResponse response;
  response.set_reason(reason);
  response.set_cache_ttl_seconds(cache_ttl_seconds);
  return response;
}

v1::VerifyTokenResponse RevokedAnswer(const std::string& token_id, int cache_ttl_seconds) {
  v1::VerifyTokenResponse response =
      InvalidAnswer("PersonalToken name='etl', id=" + token_id + " is revoked", cache_ttl_seconds);
  response.set_token_id(token_id);
  response.set_revoked(true);
  return response;
}

// Spins (yielding) until `condition` holds; false after 10 s.
template <typename Condition>
bool SpinUntil(Condition condition) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::yield();
  }
  return true;
}

class VerifyCacheTest : public ::testing::Test {
 protected:
  FakeAuthority authority_;
  FakeClock clock_{kStart};
};

TEST_F(VerifyCacheTest, SecondRequestIsAnsweredFromMemory) {
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  VerifyCache cache({}, &authority_, &clock_);

  const VerifyResult first = cache.Verify(kToken);
  const VerifyResult second = cache.Verify(kToken);

  EXPECT_EQ(first.outcome, VerifyOutcome::kValid);
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(second.outcome, VerifyOutcome::kValid);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.principal.token_id, "id-1");
  EXPECT_EQ(second.principal.user_name, "alice");
  EXPECT_EQ(authority_.calls(), 1);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST_F(VerifyCacheTest, TheTokensLimitsAreCachedWithTheAnswer) {
  v1::VerifyTokenResponse answer = ValidAnswer("id-1", 60);
  answer.add_namespaces("tg-ns-*");
  answer.add_networks("127.0.0.2/32");
  authority_.Answer(kToken, answer);
  VerifyCache cache({}, &authority_, &clock_);

  cache.Verify(kToken);
  const VerifyResult cached = cache.Verify(kToken);

  ASSERT_TRUE(cached.from_cache);
  EXPECT_THAT(cached.principal.limits.namespaces(), ::testing::ElementsAre("tg-ns-*"));
  EXPECT_TRUE(cached.principal.limits.AllowsNamespace("tg-ns-a"));
  EXPECT_FALSE(cached.principal.limits.AllowsNamespace("other"));
  EXPECT_TRUE(cached.principal.limits.AllowsAddress("127.0.0.2"));
  EXPECT_FALSE(cached.principal.limits.AllowsAddress("127.0.0.1"));
}

TEST_F(VerifyCacheTest, MissSendsTheRequestOriginAndHitNeverBuildsIt) {
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  VerifyCache cache({}, &authority_, &clock_);
  int built = 0;
  auto origin = [&built] {
    ++built;
    return VerifyOrigin{.client_address = "203.0.113.9", .user_agent = "curl/8"};
  };
  ASSERT_EQ(cache.Verify(kToken, origin).outcome, VerifyOutcome::kValid);
  EXPECT_EQ(authority_.last_origin().client_address, "203.0.113.9");
  EXPECT_EQ(authority_.last_origin().user_agent, "curl/8");
  ASSERT_TRUE(cache.Verify(kToken, origin).from_cache);
  EXPECT_EQ(built, 1);
}

TEST_F(VerifyCacheTest, ValidAnswerLivesExactlyTheAuthoritysCacheTtl) {
  authority_.Answer(kToken, ValidAnswer("id-1", 30));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);

  clock_.Advance(absl::Seconds(29));
  EXPECT_TRUE(cache.Verify(kToken).from_cache);
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.Verify(kToken).from_cache);
  EXPECT_EQ(authority_.calls(), 2);
}

TEST_F(VerifyCacheTest, ValidAnswerNeverOutlivesTheTokensExpiry) {
  authority_.Answer(kToken, ValidAnswer("id-1", 60, kStart + absl::Seconds(10)));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);

  clock_.Advance(absl::Seconds(9));
  EXPECT_TRUE(cache.Verify(kToken).from_cache);
  authority_.Answer(kToken, InvalidAnswer("Token has expired", 10));
  clock_.Advance(absl::Seconds(1));
  const VerifyResult at_expiry = cache.Verify(kToken);
  EXPECT_EQ(at_expiry.outcome, VerifyOutcome::kInvalid);
  EXPECT_EQ(at_expiry.reason, "Token has expired");
  EXPECT_EQ(authority_.calls(), 2);
}

TEST_F(VerifyCacheTest, MaxTtlCapsTheAuthoritysCacheTtl) {
  authority_.Answer(kToken, ValidAnswer("id-1", 600));
  VerifyCache cache({.max_ttl = absl::Seconds(20)}, &authority_, &clock_);
  cache.Verify(kToken);

  clock_.Advance(absl::Seconds(19));
  EXPECT_TRUE(cache.Verify(kToken).from_cache);
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.Verify(kToken).from_cache);
  EXPECT_EQ(authority_.calls(), 2);
}

TEST_F(VerifyCacheTest, AnswerWithZeroTtlIsNotCached) {
  authority_.Answer(kToken, ValidAnswer("id-1", 0));
  VerifyCache cache({}, &authority_, &clock_);

  cache.Verify(kToken);
  EXPECT_EQ(cache.Verify(kToken).outcome, VerifyOutcome::kValid);
  EXPECT_EQ(authority_.calls(), 2);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(VerifyCacheTest, InvalidAnswerIsCachedForTheNegativeTtl) {
  authority_.Answer(kToken, InvalidAnswer("Signature verification failed", 60));
  VerifyCache cache({.negative_ttl = absl::Seconds(5)}, &authority_, &clock_);
  cache.Verify(kToken);

  clock_.Advance(absl::Seconds(4));
  const VerifyResult cached = cache.Verify(kToken);
  EXPECT_TRUE(cached.from_cache);
  EXPECT_EQ(cached.outcome, VerifyOutcome::kInvalid);
  EXPECT_EQ(cached.reason, "Signature verification failed");
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.Verify(kToken).from_cache);
  EXPECT_EQ(authority_.calls(), 2);
}

TEST_F(VerifyCacheTest, InvalidAnswerExpiresEarlierWhenTheAuthoritySaysSo) {
  authority_.Answer(kToken, InvalidAnswer("Signature verification failed", 2));
  VerifyCache cache({.negative_ttl = absl::Seconds(5)}, &authority_, &clock_);
  cache.Verify(kToken);

  clock_.Advance(absl::Seconds(2));
  EXPECT_FALSE(cache.Verify(kToken).from_cache);
  EXPECT_EQ(authority_.calls(), 2);
}

TEST_F(VerifyCacheTest, RevokedIdStaysRevokedWhenALaggingAuthorityCallsItValid) {
  authority_.Answer(kToken, RevokedAnswer("id-1", 5));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);

  clock_.Advance(absl::Hours(1));
  authority_.Answer(kToken, ValidAnswer("id-1", 60, kStart + absl::Hours(24)));
  const VerifyResult later = cache.Verify(kToken);

  EXPECT_EQ(authority_.calls(), 2);
  EXPECT_EQ(later.outcome, VerifyOutcome::kInvalid);
  EXPECT_EQ(later.reason, "PersonalToken name='etl', id=id-1 is revoked");
}

TEST_F(VerifyCacheTest, RevokedIdRefusesAnotherTokenStringCarryingIt) {
  const std::string other = kToken + "x";
  authority_.Answer(kToken, RevokedAnswer("id-1", 5));
  authority_.Answer(other, ValidAnswer("id-1", 60));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);

  EXPECT_EQ(cache.Verify(other).outcome, VerifyOutcome::kInvalid);
}

TEST_F(VerifyCacheTest, OnRevokedRefusesACachedValidTokenWithoutAnRpcNamingIt) {
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  VerifyCache cache({}, &authority_, &clock_);
  ASSERT_EQ(cache.Verify(kToken).outcome, VerifyOutcome::kValid);

  cache.OnRevoked("id-1");
  const VerifyResult after = cache.Verify(kToken);

  EXPECT_EQ(after.outcome, VerifyOutcome::kInvalid);
  EXPECT_EQ(after.reason, "PersonalToken name='etl', id=id-1 is revoked");
  EXPECT_EQ(authority_.calls(), 1);
  EXPECT_EQ(cache.stats().revocations, 1u);
}

TEST_F(VerifyCacheTest, OnRevokedLeavesOtherTokensAlone) {
  const std::string other = "personal_token_other";
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  authority_.Answer(other, ValidAnswer("id-2", 60));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);
  cache.Verify(other);

  cache.OnRevoked("id-1");

  const VerifyResult untouched = cache.Verify(other);
  EXPECT_EQ(untouched.outcome, VerifyOutcome::kValid);
  EXPECT_TRUE(untouched.from_cache);
}

TEST_F(VerifyCacheTest, RevokedIdsLeaveTheSetOnceTheirTokenHasExpired) {
  VerifyCache cache({}, &authority_, &clock_);
  cache.OnRevoked("short-lived", absl::ToUnixSeconds(kStart + absl::Minutes(10)));
  cache.OnRevoked("long-lived", absl::ToUnixSeconds(kStart + absl::Hours(48)));
  cache.OnRevoked("exp-unknown");
  ASSERT_EQ(cache.stats().revoked_ids, 3u);

  clock_.Advance(absl::Minutes(11));
  cache.OnRevoked("later", absl::ToUnixSeconds(kStart + absl::Hours(48)));
  EXPECT_EQ(cache.stats().revoked_ids, 3u) << "the expired token's id is still remembered";

  clock_.Advance(kUnknownExpiryMemory);
  cache.OnRevoked("latest", absl::ToUnixSeconds(kStart + absl::Hours(48)));
  EXPECT_EQ(cache.stats().revoked_ids, 3u) << "an id without exp is kept past kUnknownExpiryMemory";
}

TEST_F(VerifyCacheTest, RevokedAnswerIsRememberedUntilTheExpItCarries) {
  v1::VerifyTokenResponse revoked = RevokedAnswer("id-1", 5);
  revoked.set_expires_at_unix(absl::ToUnixSeconds(kStart + absl::Minutes(5)));
  authority_.Answer(kToken, revoked);
  VerifyCache cache({}, &authority_, &clock_);
  ASSERT_EQ(cache.Verify(kToken).outcome, VerifyOutcome::kInvalid);
  ASSERT_EQ(cache.stats().revoked_ids, 1u);

  clock_.Advance(absl::Minutes(6));
  cache.OnRevoked("id-2", absl::ToUnixSeconds(kStart + absl::Hours(1)));

  EXPECT_EQ(cache.stats().revoked_ids, 1u);
}

TEST_F(VerifyCacheTest, DropValidForgetsValidAnswersButNotRevocations) {
  const std::string other = "personal_token_other";
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  authority_.Answer(other, RevokedAnswer("id-2", 5));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);
  cache.Verify(other);

  cache.DropValid();

  EXPECT_FALSE(cache.Verify(kToken).from_cache);
  EXPECT_TRUE(cache.Verify(other).from_cache);
  EXPECT_EQ(authority_.calls(), 3);
  EXPECT_EQ(cache.stats().resets, 1u);
  EXPECT_EQ(cache.stats().revoked_ids, 1u);
}

TEST_F(VerifyCacheTest, UnavailableAnswerNamesTheDatabaseWhenTheAuthoritySaysSo) {
  absl::Status database = absl::UnavailableError("VerifyToken: database unavailable: refused");
  database.SetPayload(kCodePayload, absl::Cord(kDatabaseUnavailableCode));
  VerifyCache cache({}, &authority_, &clock_);

  authority_.Fail(database);
  const VerifyResult db_down = cache.Verify(kToken);
  authority_.Fail(absl::UnavailableError("VerifyToken: failed to connect to all addresses"));
  const VerifyResult authority_down = cache.Verify(kToken);

  EXPECT_EQ(UnavailableMessage(db_down), "The token database is unavailable, retry later");
  EXPECT_EQ(UnavailableMessage(authority_down), "Token authority is unavailable, retry later");
}

TEST_F(VerifyCacheTest, RevocationArrivingDuringTheRpcWinsOverItsValidAnswer) {
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  authority_.Hold();
  VerifyCache cache({}, &authority_, &clock_);
  VerifyResult during;
  std::thread request([&] { during = cache.Verify(kToken); });
  ASSERT_TRUE(SpinUntil([&] { return authority_.calls() == 1; }));

  cache.OnRevoked("id-1");
  authority_.Release();
  request.join();

  EXPECT_EQ(during.outcome, VerifyOutcome::kInvalid);
  EXPECT_EQ(during.reason, "PersonalToken name='etl', id=id-1 is revoked");
  EXPECT_EQ(cache.Verify(kToken).outcome, VerifyOutcome::kInvalid);
  EXPECT_EQ(authority_.calls(), 1);
}

TEST_F(VerifyCacheTest, ConcurrentMissesForOneTokenMakeOneRpc) {
  constexpr int kRequests = 32;
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  authority_.Hold();
  VerifyCache cache({}, &authority_, &clock_);
  std::vector<VerifyResult> results(kRequests);
  std::vector<std::thread> requests;
  for (int i = 0; i < kRequests; ++i) {
    requests.emplace_back([&, i] { results[i] = cache.Verify(kToken); });
  }
  // Everyone but the one inside the RPC has joined it before it is let go.
  ASSERT_TRUE(SpinUntil([&] { return cache.stats().coalesced == kRequests - 1; }));
  authority_.Release();
  for (auto& request : requests) request.join();

  EXPECT_EQ(authority_.calls(), 1);
  EXPECT_THAT(results, Each(Field(&VerifyResult::outcome, VerifyOutcome::kValid)));
  EXPECT_EQ(cache.stats().rpcs, 1u);
}

TEST_F(VerifyCacheTest, UnreachableAuthorityGivesUnavailableAndIsNotCached) {
  authority_.Fail(absl::UnavailableError("connection refused"));
  VerifyCache cache({}, &authority_, &clock_);

  const VerifyResult failed = cache.Verify(kToken);
  EXPECT_EQ(failed.outcome, VerifyOutcome::kUnavailable);

  authority_.Fail(absl::OkStatus());
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  EXPECT_EQ(cache.Verify(kToken).outcome, VerifyOutcome::kValid);
  EXPECT_EQ(authority_.calls(), 2);
  EXPECT_EQ(cache.stats().rpc_errors, 1u);
}

TEST_F(VerifyCacheTest, UnreachableAuthorityFailsEveryoneWaitingOnTheRpc) {
  constexpr int kRequests = 8;
  authority_.Fail(absl::DeadlineExceededError("deadline"));
  authority_.Hold();
  VerifyCache cache({}, &authority_, &clock_);
  std::vector<VerifyResult> results(kRequests);
  std::vector<std::thread> requests;
  for (int i = 0; i < kRequests; ++i) {
    requests.emplace_back([&, i] { results[i] = cache.Verify(kToken); });
  }
  ASSERT_TRUE(SpinUntil([&] { return cache.stats().coalesced == kRequests - 1; }));
  authority_.Release();
  for (auto& request : requests) request.join();

  EXPECT_THAT(results, Each(Field(&VerifyResult::outcome, VerifyOutcome::kUnavailable)));
  EXPECT_EQ(authority_.calls(), 1);
}

TEST_F(VerifyCacheTest, CachedValidAnswerOutlastsAnAuthorityOutage) {
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);

  authority_.Fail(absl::UnavailableError("connection refused"));
  clock_.Advance(absl::Seconds(59));

  EXPECT_EQ(cache.Verify(kToken).outcome, VerifyOutcome::kValid);
  EXPECT_EQ(cache.Verify("personal_token_unseen").outcome, VerifyOutcome::kUnavailable);
}

TEST_F(VerifyCacheTest, FullCacheEvictsTheLeastRecentlyUsedAnswer) {
  for (const char* token : {"t-a", "t-b", "t-c"}) authority_.Answer(token, ValidAnswer(token, 60));
  VerifyCache cache({.max_entries = 2, .shards = 1}, &authority_, &clock_);
  cache.Verify("t-a");
  cache.Verify("t-b");
  cache.Verify("t-a");  // Now b is the least recently used.

  cache.Verify("t-c");

  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_TRUE(cache.Verify("t-a").from_cache);
  EXPECT_TRUE(cache.Verify("t-c").from_cache);
  EXPECT_FALSE(cache.Verify("t-b").from_cache);
}

TEST_F(VerifyCacheTest, ShardedCacheNeverHoldsMoreThanMaxEntries) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    tokens.push_back("personal_token_" + std::to_string(i));
    authority_.Answer(tokens.back(), ValidAnswer("id-" + std::to_string(i), 60));
  }
  VerifyCache cache({.max_entries = 10, .shards = 4}, &authority_, &clock_);
  for (const auto& token : tokens) cache.Verify(token);

  EXPECT_LE(cache.stats().entries, 10u);
  EXPECT_EQ(cache.stats().entries + cache.stats().evictions, 100u);
}

TEST_F(VerifyCacheTest, TokensDifferingInOneCharacterAreDistinctEntries) {
  const std::string near = "personal_token_aaaa.bbbb.cccd";
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  authority_.Answer(near, InvalidAnswer("Signature verification failed", 5));
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify(kToken);
  cache.Verify(near);

  EXPECT_EQ(cache.Verify(kToken).outcome, VerifyOutcome::kValid);
  EXPECT_EQ(cache.Verify(near).outcome, VerifyOutcome::kInvalid);
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_EQ(authority_.calls(), 2);
}

TEST_F(VerifyCacheTest, DisabledCacheAsksTheAuthorityEveryTime) {
  authority_.Answer(kToken, ValidAnswer("id-1", 60));
  VerifyCache cache({.enabled = false}, &authority_, &clock_);

  for (int i = 0; i < 3; ++i) {
    const VerifyResult result = cache.Verify(kToken);
    EXPECT_EQ(result.outcome, VerifyOutcome::kValid);
    EXPECT_FALSE(result.from_cache);
  }
  EXPECT_EQ(authority_.calls(), 3);
  EXPECT_EQ(cache.stats().hits, 0u);
}

TEST_F(VerifyCacheTest, EveryRpcLandsInTheLatencyHistogram) {
  VerifyCache cache({}, &authority_, &clock_);
  cache.Verify("personal_token_a");
  cache.Verify("personal_token_b");

  const VerifyCacheStats stats = cache.stats();
  EXPECT_EQ(stats.rpcs, 2u);
  EXPECT_EQ(stats.rpc_latency_buckets.back(), 2u);  // A fake answers well within 1 s.
  EXPECT_GE(stats.rpc_latency_sum_seconds, 0.0);
}

TEST(PrincipalTest, HasOnlyTheScopesItWasGiven) {
  Principal principal;
  principal.scopes = {"all:read"};
  EXPECT_TRUE(principal.HasScope("all:read"));
  EXPECT_FALSE(principal.HasScope("all:write"));
}

}  // namespace
}  // namespace tokengate
