#include "services/token_authority/tokens/personal_tokens.h"

#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/base/dates.h"
#include "common/base/field_error.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::testing::HasSubstr;
using ::tokengate::testing::IsOk;

// An in-memory TokenStore that counts LoadToken calls (the verify path's DB reads).
class MemoryStore final : public TokenStore {
 public:
  absl::StatusOr<int64_t> GetOrCreateUser(const std::string& name) override {
    auto [it, inserted] = users_.try_emplace(name, static_cast<int64_t>(users_.size() + 1));
    return it->second;
  }
  absl::StatusOr<int64_t> FindUser(const std::string& name) override {
    auto it = users_.find(name);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    return it->second;
  }
  absl::Status InsertToken(const TokenRecord& record, const AuditRecord& audit) override {
    auto status = Insert(record);
    if (status.ok()) audits.push_back(audit);
    return status;
  }
  absl::Status Insert(const TokenRecord& record) {
    for (const auto& [id, row] : rows_) {
      if (row.user_id == record.user_id && row.name == record.name && !row.revoked_at &&
          row.rotated_to.empty() && row.since <= record.until && record.since <= row.until) {
        return absl::AlreadyExistsError(
            absl::StrCat("PersonalToken with name='", record.name, "' already exists"));
      }
    }
    rows_[record.id] = record;
    return absl::OkStatus();
  }
  absl::Status ReplaceToken(int64_t user_id, const std::string& old_id, TokenRecord& fresh, AuditRecord audit,
                            absl::FunctionRef<absl::Status(const TokenRecord&, TokenRecord&)> derive,
                            std::optional<absl::Time> grace_until) override {
    auto it = rows_.find(old_id);
    if (it == rows_.end() || it->second.user_id != user_id || it->second.revoked_at ||
        !it->second.rotated_to.empty()) {
      return absl::NotFoundError("not found");
    }
    fresh.name = it->second.name;
    if (auto refused = derive(it->second, fresh); !refused.ok()) return refused;  // Nothing changed.
    if (grace_until) {
      it->second.rotated_to = fresh.id;
      it->second.grace_until = grace_until;
    } else {
      it->second.revoked_at = absl::Now();
    }
    audit.detail = LimitsDetail(fresh);
    audits.push_back(audit);
    return Insert(fresh);
  }
  absl::Status RevokeToken(int64_t user_id, const std::string& id, AuditRecord audit) override {
    auto it = rows_.find(id);
    if (it == rows_.end() || it->second.user_id != user_id || it->second.revoked_at) {
      return absl::NotFoundError("not found");
    }
    it->second.revoked_at = absl::Now();
    audits.push_back(audit);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> RevokeUserTokens(int64_t, AuditRecord) override {
    return std::vector<std::string>();
  }
  absl::StatusOr<TokenRecord> GetUserToken(int64_t user_id, const std::string& id) override {
    auto it = rows_.find(id);
    if (it == rows_.end() || it->second.user_id != user_id) return absl::NotFoundError("not found");
    return it->second;
  }
  absl::StatusOr<TokenPage> ListUserTokens(int64_t, int, int, const std::vector<std::string>&) override {
    return TokenPage{};
  }
  absl::StatusOr<TokenPage> ListAllTokens(const std::string&, bool, int, int) override { return TokenPage{}; }
  absl::StatusOr<TokenRecord> LoadToken(const std::string& id) override {
    ++loads;
    if (!available) return absl::UnavailableError("database unavailable");
    auto it = rows_.find(id);
    if (it == rows_.end()) return absl::NotFoundError(absl::StrCat("PersonalToken id=", id, " not found"));
    return it->second;
  }
  absl::Status RecordUsage(const std::vector<TokenUse>& uses) override {
    used += static_cast<int>(uses.size());
    return absl::OkStatus();
  }
  absl::Status RecordFailure(const AuditRecord& audit) override {
    failures.push_back(audit);
    return absl::OkStatus();
  }
  absl::StatusOr<AuditPage> ListTokenEvents(const std::string&, int, int) override { return AuditPage{}; }
  absl::StatusOr<int> EndGraces() override { return 0; }
  absl::StatusOr<std::vector<RecordedDeadUse>> RecordDeadUses(const std::vector<DeadUse>&,
                                                              const std::string&) override {
    return std::vector<RecordedDeadUse>();
  }

  std::map<std::string, TokenRecord> rows_;
  std::map<std::string, int64_t> users_;
  std::vector<AuditRecord> audits;    // Written with a change.
  std::vector<AuditRecord> failures;  // Written for a failed attempt.
  int loads = 0;
  int used = 0;
  bool available = true;
};

AuthorityConfig Config() {
  AuthorityConfig config{.keys = *SigningKeyring::Parse(std::string(40, 'k'), "")};
  config.issuer = "tokengate";
  config.max_duration_days = 366;
  return config;
}

class PersonalTokensTest : public ::testing::Test {
 protected:
  PersonalTokensTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 28, 12, 0, 0), absl::UTCTimeZone())) {
    Rebuild(Config());
  }
  void Rebuild(const AuthorityConfig& config) {
    usage_ = std::make_unique<UsageRecorder>(&store_, absl::Seconds(5));
    tokens_ =
        std::make_unique<PersonalTokens>(config, &store_, usage_.get(), &clock_, [this] { return trusted_; });
  }
  v1::IssueTokenResponse Issue(const std::string& name = "etl", const std::string& until = "") {
    v1::IssueTokenRequest request;
    request.set_user_name("alice");
    request.set_name(name);
    request.set_until(until);
    auto response = tokens_->Issue(request);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? *response : v1::IssueTokenResponse();
  }
  v1::VerifyTokenResponse Verify(const std::string& content) {
    v1::VerifyTokenRequest request;
    request.set_token(content);
    auto response = tokens_->Verify(request);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? *response : v1::VerifyTokenResponse();
  }

  FakeClock clock_;
  MemoryStore store_;
  bool trusted_ = true;
  std::unique_ptr<UsageRecorder> usage_;
  std::unique_ptr<PersonalTokens> tokens_;
};

TEST_F(PersonalTokensTest, IssueDefaultsToMaxDurationAndAllScopes) {
  const auto issued = Issue();
  EXPECT_EQ(issued.token().since(), "2026-11-28");
  EXPECT_EQ(issued.token().until(), "2027-11-29");
  EXPECT_THAT(issued.token().scopes(), ::testing::ElementsAre("all:read", "all:write"));
  EXPECT_THAT(issued.content(), ::testing::StartsWith("personal_token_"));
}

// --- narrow tokens (issue 21) ---

v1::IssueTokenRequest Narrow(const std::string& name = "narrow") {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name(name);
  request.add_scopes("all:write");
  request.add_namespaces("spark-*");
  request.add_networks("10.0.0.0/8");
  request.add_networks("192.0.2.7");
  return request;
}

TEST_F(PersonalTokensTest, LimitsAreStoredCanonicalAndVerifyAnswersWithThem) {
  auto issued = tokens_->Issue(Narrow());
  ASSERT_THAT(issued, IsOk());
  EXPECT_THAT(issued->token().namespaces(), ::testing::ElementsAre("spark-*"));
  EXPECT_THAT(issued->token().networks(), ::testing::ElementsAre("10.0.0.0/8", "192.0.2.7/32"));
  const auto answer = Verify(issued->content());
  ASSERT_TRUE(answer.valid()) << answer.reason();
  EXPECT_THAT(answer.scopes(), ::testing::ElementsAre("all:write"));
  EXPECT_THAT(answer.namespaces(), ::testing::ElementsAre("spark-*"));
  EXPECT_THAT(answer.networks(), ::testing::ElementsAre("10.0.0.0/8", "192.0.2.7/32"));
}

TEST_F(PersonalTokensTest, AnUnlimitedTokenAnswersWithNoLimits) {
  const auto answer = Verify(Issue().content());
  EXPECT_TRUE(answer.namespaces().empty());
  EXPECT_TRUE(answer.networks().empty());
}

TEST_F(PersonalTokensTest, BadLimitsAreRefusedNamingTheFieldBeforeAnyRow) {
  struct Case {
    const char* field;
    std::function<void(v1::IssueTokenRequest&)> spoil;
  };
  for (const Case& bad :
       std::vector<Case>{{"scopes", [](auto& r) { r.add_scopes("all:admin"); }},
                         {"scopes", [](auto& r) { r.add_scopes("all:write"); }},
                         {"namespaces", [](auto& r) { r.add_namespaces(""); }},
                         {"namespaces", [](auto& r) { r.add_namespaces(std::string(256, 'n')); }},
                         {"networks", [](auto& r) { r.add_networks("10.0.0.0/33"); }},
                         {"networks", [](auto& r) {
                            for (int i = 0; i < 20; ++i) r.add_networks(absl::StrCat("10.0.", i, ".0/24"));
                          }}}) {
    v1::IssueTokenRequest request = Narrow();
    bad.spoil(request);
    const absl::Status status = tokens_->Issue(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.field << ": " << status;
    EXPECT_EQ(PayloadOf(status, kFieldPayload), bad.field) << status;
  }
  EXPECT_TRUE(store_.rows_.empty());
}

TEST_F(PersonalTokensTest, CreateAuditRecordCarriesTheLimits) {
  ASSERT_THAT(tokens_->Issue(Narrow()), IsOk());
  ASSERT_EQ(store_.audits.size(), 1u);
  EXPECT_EQ(store_.audits[0].detail, "scopes=all:write namespaces=spark-* networks=10.0.0.0/8,192.0.2.7/32");
}

v1::RefreshTokenRequest RefreshOf(const std::string& id) {
  v1::RefreshTokenRequest request;
  request.set_user_name("alice");
  request.set_token_id(id);
  return request;
}

// --- rotation with a grace (issue 24) ---

TEST_F(PersonalTokensTest, OldContentWorksThroughTheGraceAndNeverCachedBeyondIt) {
  const auto issued = Issue();
  v1::RefreshTokenRequest request = RefreshOf(issued.token().id());
  request.set_grace_seconds(30);
  auto refreshed = tokens_->Refresh(request);
  ASSERT_THAT(refreshed, IsOk());

  clock_.Advance(absl::Seconds(20));
  const auto during = Verify(issued.content());
  ASSERT_TRUE(during.valid()) << during.reason();
  EXPECT_EQ(during.rotated_to(), refreshed->token().id());
  EXPECT_EQ(during.grace_until_unix(), absl::ToUnixSeconds(clock_.Now() + absl::Seconds(10)));
  EXPECT_LE(during.cache_ttl_seconds(), 10) << "an edge must not keep the answer past the grace";
  EXPECT_TRUE(Verify(refreshed->content()).valid());

  clock_.Advance(absl::Seconds(10));
  const auto after = Verify(issued.content());
  EXPECT_FALSE(after.valid());
  EXPECT_TRUE(after.revoked()) << "edges remember it as revoked";
  EXPECT_TRUE(Verify(refreshed->content()).valid());
}

TEST_F(PersonalTokensTest, GraceAboveTheCapIsRefusedNamingTheField) {
  AuthorityConfig config = Config();
  config.max_rotation_grace = absl::Seconds(60);
  Rebuild(config);
  const auto issued = Issue();
  v1::RefreshTokenRequest request = RefreshOf(issued.token().id());
  request.set_grace_seconds(61);
  const absl::Status refused = tokens_->Refresh(request).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PayloadOf(refused, kFieldPayload), "grace_seconds");
  EXPECT_EQ(PayloadOf(refused, kCodePayload), "less_than_equal");
  EXPECT_TRUE(Verify(issued.content()).valid()) << "nothing changed";
}

TEST_F(PersonalTokensTest, ARotatedTokenCannotBeRefreshedAgain) {
  const auto issued = Issue();
  v1::RefreshTokenRequest request = RefreshOf(issued.token().id());
  request.set_grace_seconds(30);
  ASSERT_THAT(tokens_->Refresh(request), IsOk());
  EXPECT_EQ(tokens_->Refresh(request).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PersonalTokensTest, AnExpiredTokenIsNamedInItsAnswer) {
  const auto issued = Issue("short", "2026-11-29");
  clock_.Advance(absl::Hours(37));
  const auto answer = Verify(issued.content());
  EXPECT_FALSE(answer.valid());
  EXPECT_EQ(answer.reason(), kReasonExpired);
  EXPECT_TRUE(answer.expired());
  EXPECT_EQ(answer.token_id(), issued.token().id());
}

TEST_F(PersonalTokensTest, RefreshKeepsTheLimits) {
  auto issued = tokens_->Issue(Narrow());
  ASSERT_THAT(issued, IsOk());
  auto refreshed = tokens_->Refresh(RefreshOf(issued->token().id()));
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_THAT(refreshed->token().scopes(), ::testing::ElementsAre("all:write"));
  EXPECT_THAT(refreshed->token().namespaces(), ::testing::ElementsAre("spark-*"));
  EXPECT_THAT(refreshed->token().networks(), ::testing::ElementsAre("10.0.0.0/8", "192.0.2.7/32"));
  EXPECT_THAT(Verify(refreshed->content()).namespaces(), ::testing::ElementsAre("spark-*"));
}

TEST_F(PersonalTokensTest, RefreshNarrowsAndTheAuditRecordSaysHow) {
  auto issued = tokens_->Issue(Narrow());
  ASSERT_THAT(issued, IsOk());
  v1::RefreshTokenRequest request = RefreshOf(issued->token().id());
  request.add_namespaces("spark-etl");
  request.add_networks("10.1.0.0/16");
  auto refreshed = tokens_->Refresh(request);
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_THAT(refreshed->token().namespaces(), ::testing::ElementsAre("spark-etl"));
  EXPECT_THAT(refreshed->token().networks(), ::testing::ElementsAre("10.1.0.0/16"));
  EXPECT_THAT(store_.audits.back().detail, HasSubstr("namespaces=spark-etl networks=10.1.0.0/16"));
}

TEST_F(PersonalTokensTest, WideningOnRefreshIsRefusedAndTheOldTokenStaysLive) {
  auto issued = tokens_->Issue(Narrow());
  ASSERT_THAT(issued, IsOk());
  for (const auto& widen : std::vector<std::function<void(v1::RefreshTokenRequest&)>>{
           [](auto& r) { r.add_scopes("all:read"); }, [](auto& r) { r.add_namespaces("*"); },
           [](auto& r) { r.add_networks("0.0.0.0/0"); }}) {
    v1::RefreshTokenRequest request = RefreshOf(issued->token().id());
    widen(request);
    const absl::Status status = tokens_->Refresh(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr("would be wider than the token's"));
  }
  EXPECT_TRUE(Verify(issued->content()).valid());
}

TEST_F(PersonalTokensTest, UntilInThePastOrTodayIsRefused) {
  for (const std::string until : {"2026-11-27", "2026-11-28"}) {
    v1::IssueTokenRequest request;
    request.set_user_name("alice");
    request.set_name("etl");
    request.set_until(until);
    auto response = tokens_->Issue(request);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(response.status().message(), "Date should be in the future");
    EXPECT_EQ(PayloadOf(response.status(), kCodePayload), "date_future");
  }
}

TEST_F(PersonalTokensTest, UntilBeyondMaxNamesTheMaxDate) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("etl");
  request.set_until("2027-11-30");
  auto response = tokens_->Issue(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(), HasSubstr("2027-11-29"));
  EXPECT_EQ(PayloadOf(response.status(), kCodePayload), "less_than_equal");
}

TEST_F(PersonalTokensTest, NameLengthIsCountedInCharacters) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  std::string name;
  for (int i = 0; i < 64; ++i) name += "é";
  request.set_name(name);
  EXPECT_THAT(tokens_->Issue(request), IsOk());
  request.set_name(name + "x");
  EXPECT_EQ(PayloadOf(tokens_->Issue(request).status(), kCodePayload), "string_too_long");
  request.set_name("");
  EXPECT_EQ(PayloadOf(tokens_->Issue(request).status(), kCodePayload), "string_too_short");
}

TEST_F(PersonalTokensTest, UserNameWithAControlCharacterIsRefusedBeforeAnyRow) {
  for (const std::string& user : {std::string("victim\0x", 8), std::string("eve\r\nINFO forged")}) {
    v1::IssueTokenRequest request;
    request.set_user_name(user);
    request.set_name("etl");
    const absl::Status status = tokens_->Issue(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(PayloadOf(status, kFieldPayload), "user_name");
    EXPECT_EQ(PayloadOf(status, kCodePayload), "string_pattern_mismatch");
  }
  EXPECT_TRUE(store_.users_.empty()) << "a refused name must not become a user";
  EXPECT_TRUE(store_.rows_.empty());
}

TEST_F(PersonalTokensTest, TokenNameWithAControlCharacterIsRefused) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  for (const std::string& name :
       {std::string("abc\0def", 7), std::string("a\nb"), std::string("csi\xc2\x9b")}) {
    request.set_name(name);
    const absl::Status status = tokens_->Issue(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(PayloadOf(status, kFieldPayload), "name");
    EXPECT_EQ(PayloadOf(status, kCodePayload), "string_pattern_mismatch");
  }
  EXPECT_TRUE(store_.rows_.empty());
}

TEST_F(PersonalTokensTest, RevokedIdsAreForgottenOnceTheirTokenHasExpired) {
  const auto short_lived = Issue("short", "2026-11-29");  // Expires at 2026-11-30T00:00Z.
  const auto long_lived = Issue("long");
  ASSERT_TRUE(Verify(short_lived.content()).valid());
  ASSERT_TRUE(Verify(long_lived.content()).valid());
  for (const auto* issued : {&short_lived, &long_lived}) {
    v1::RevokeTokenRequest revoke;
    revoke.set_user_name("alice");
    revoke.set_token_id(issued->token().id());
    ASSERT_THAT(tokens_->Revoke(revoke), IsOk());
  }
  EXPECT_EQ(tokens_->RememberedRevocations(), 2u);

  clock_.Advance(absl::Hours(37));  // 2026-11-30T01:00Z: the short-lived token has expired.
  tokens_->OnRevoked(Revocation{"0192e000-0000-7000-8000-000000000001", 1});  // Any later revocation sweeps.
  EXPECT_EQ(tokens_->RememberedRevocations(), 2u) << "the long-lived id and the new one";
  EXPECT_FALSE(Verify(short_lived.content()).valid());
  EXPECT_TRUE(Verify(long_lived.content()).revoked());
}

TEST_F(PersonalTokensTest, RevokedIdOfAnUncachedRowIsForgottenAfterTheLongestLifetime) {
  tokens_->OnRevoked(Revocation{"0192e000-0000-7000-8000-000000000001", 1});
  clock_.Advance(absl::Hours(24 * 366));  // Still within what a token issued today may live.
  tokens_->OnRevoked(Revocation{"0192e000-0000-7000-8000-000000000002", 1});
  EXPECT_EQ(tokens_->RememberedRevocations(), 2u);
  clock_.Advance(absl::Hours(24 * 2));
  tokens_->OnRevoked(Revocation{"0192e000-0000-7000-8000-000000000003", 1});
  EXPECT_EQ(tokens_->RememberedRevocations(), 2u) << "the first id has outlived any token of it";
}

TEST_F(PersonalTokensTest, ScopesMayOnlyNarrow) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("ro");
  request.add_scopes("all:read");
  auto response = tokens_->Issue(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->token().scopes(), ::testing::ElementsAre("all:read"));
  EXPECT_THAT(Verify(response->content()).scopes(), ::testing::ElementsAre("all:read"));
  request.add_scopes("admin");
  EXPECT_EQ(tokens_->Issue(request).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PersonalTokensTest, VerifyReadsTheRowOnceThenAnswersFromMemory) {
  const auto issued = Issue();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Verify(issued.content()).valid());
  EXPECT_EQ(store_.loads, 1);
}

TEST_F(PersonalTokensTest, VerifyGoesToTheDatabaseWhileTheFeedIsDown) {
  const auto issued = Issue();
  trusted_ = false;
  Verify(issued.content());
  Verify(issued.content());
  EXPECT_EQ(store_.loads, 2);
}

TEST_F(PersonalTokensTest, RevocationFromTheFeedIsSeenWithoutTheDatabase) {
  const auto issued = Issue();
  ASSERT_TRUE(Verify(issued.content()).valid());
  tokens_->OnRevoked(Revocation{issued.token().id(), 1});
  const auto answer = Verify(issued.content());
  EXPECT_FALSE(answer.valid());
  EXPECT_TRUE(answer.revoked());
  EXPECT_EQ(answer.reason(),
            absl::StrCat("PersonalToken name='etl', id=", issued.token().id(), " is revoked"));
  EXPECT_EQ(store_.loads, 1);
}

TEST_F(PersonalTokensTest, RevocationSeenDuringALoadWinsOverTheLoadedRow) {
  const auto issued = Issue();
  tokens_->OnRevoked(Revocation{issued.token().id(), 1});
  EXPECT_TRUE(Verify(issued.content()).revoked());
}

TEST_F(PersonalTokensTest, FeedGapDropsCachedRows) {
  const auto issued = Issue();
  Verify(issued.content());
  tokens_->OnFeedGap();
  Verify(issued.content());
  EXPECT_EQ(store_.loads, 2);
}

TEST_F(PersonalTokensTest, DatabaseDownOnAMissIsAnErrorNotAnAnswer) {
  const auto issued = Issue();
  store_.available = false;
  v1::VerifyTokenRequest request;
  request.set_token(issued.content());
  EXPECT_EQ(tokens_->Verify(request).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(PersonalTokensTest, CachedAnswerSurvivesDatabaseOutage) {
  const auto issued = Issue();
  Verify(issued.content());
  store_.available = false;
  EXPECT_TRUE(Verify(issued.content()).valid());
}

TEST_F(PersonalTokensTest, RowExpiryWinsOverClaims) {
  const auto issued = Issue("etl", "2026-12-01");
  // A key holder re-signs with a later exp; the row still says 2026-12-01.
  store_.rows_[issued.token().id()].until = absl::CivilDay(2026, 11, 29);
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 11, 30, 0, 0, 1), absl::UTCTimeZone()));
  const auto answer = Verify(issued.content());
  EXPECT_FALSE(answer.valid());
  EXPECT_EQ(answer.reason(), "Token has expired");
}

TEST_F(PersonalTokensTest, CacheTtlNeverPassesExpiry) {
  const auto issued = Issue("etl", "2026-11-29");
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 11, 29, 23, 59, 30), absl::UTCTimeZone()));
  EXPECT_EQ(Verify(issued.content()).cache_ttl_seconds(), 30);
}

TEST_F(PersonalTokensTest, TokenOfDeletedRowIsRevokedAsDataRentgenSaysButNotForGood) {
  const auto issued = Issue();
  store_.rows_.clear();
  const auto answer = Verify(issued.content());
  EXPECT_FALSE(answer.valid());
  EXPECT_EQ(answer.reason(), RevokedTokenReason(issued.token().name(), issued.token().id()));
  EXPECT_FALSE(answer.revoked());
}

TEST_F(PersonalTokensTest, AnswersNameTheToken) {
  const auto issued = Issue("nightly");
  EXPECT_EQ(Verify(issued.content()).token_name(), "nightly");
}

TEST_F(PersonalTokensTest, DisabledTokensAreNeitherIssuedNorAccepted) {
  const auto issued = Issue();
  AuthorityConfig config = Config();
  config.personal_tokens_enabled = false;
  Rebuild(config);
  EXPECT_EQ(Verify(issued.content()).reason(), kReasonDisabled);
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name("x");
  EXPECT_EQ(tokens_->Issue(request).status().code(), absl::StatusCode::kFailedPrecondition);
}

// Data.Rentgen revokes the old token before creating the new one fails:
// an unknown token is its 404 first, a live one its 403 (and stays live).
TEST_F(PersonalTokensTest, DisabledRefreshLooksTheTokenUpFirst) {
  const auto issued = Issue();
  AuthorityConfig config = Config();
  config.personal_tokens_enabled = false;
  Rebuild(config);
  v1::RefreshTokenRequest request;
  request.set_user_name("alice");
  request.set_token_id("0192f1a2-b3c4-7d5e-8f60-0123456789ab");
  EXPECT_EQ(tokens_->Refresh(request).status().code(), absl::StatusCode::kNotFound);
  request.set_token_id(issued.token().id());
  EXPECT_EQ(tokens_->Refresh(request).status().code(), absl::StatusCode::kFailedPrecondition);
  request.set_until("2099-01-01");  // Too late: still "not allowed", as creating comes first there.
  EXPECT_EQ(tokens_->Refresh(request).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PersonalTokensTest, ValidVerifyIsRecordedAsUsage) {
  const auto issued = Issue();
  Verify(issued.content());
  ASSERT_THAT(usage_->Flush(), IsOk());
  EXPECT_EQ(store_.used, 1);
}

TEST_F(PersonalTokensTest, BadTokenIdInRequestsIsInvalidArgument) {
  v1::RevokeTokenRequest request;
  request.set_user_name("alice");
  request.set_token_id("nope");
  EXPECT_EQ(tokens_->Revoke(request).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PersonalTokensTest, EachChangeCarriesOneAuditRecordNamingTheActor) {
  v1::IssueTokenRequest issue;
  issue.set_user_name("alice");
  issue.set_name("etl");
  const AuditActor actor{.kind = "user",
                         .name = "alice",
                         .client_address = "10.0.0.7",
                         .user_agent = "curl/8",
                         .request_id = "req-1"};
  auto issued = tokens_->Issue(issue, actor);
  ASSERT_THAT(issued, IsOk());
  v1::RevokeTokenRequest revoke;
  revoke.set_user_name("alice");
  revoke.set_token_id(issued->token().id());
  ASSERT_THAT(tokens_->Revoke(revoke, actor), IsOk());

  ASSERT_EQ(store_.audits.size(), 2u);
  EXPECT_EQ(store_.audits[0].event, "token.created");
  EXPECT_EQ(store_.audits[0].token_id, issued->token().id());
  EXPECT_EQ(store_.audits[0].token_name, "etl");
  EXPECT_EQ(store_.audits[0].actor.client_address, "10.0.0.7");
  EXPECT_EQ(store_.audits[1].event, "token.revoked");
  EXPECT_EQ(store_.audits[1].actor.request_id, "req-1");
  EXPECT_TRUE(store_.failures.empty());
}

TEST_F(PersonalTokensTest, FailedAttemptIsAuditedOnceWithItsMessage) {
  Issue("etl");
  v1::IssueTokenRequest clash;
  clash.set_user_name("alice");
  clash.set_name("etl");
  EXPECT_EQ(tokens_->Issue(clash, AuditActor{.kind = "user", .name = "alice"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_EQ(store_.failures.size(), 1u);
  EXPECT_EQ(store_.failures[0].event, "management.failed");
  EXPECT_EQ(store_.failures[0].actor.name, "alice");
  EXPECT_THAT(store_.failures[0].detail, HasSubstr("IssueToken: PersonalToken with name='etl'"));
  EXPECT_EQ(store_.audits.size(), 1u) << "only the first issue changed anything";
}

TEST_F(PersonalTokensTest, FailureBecauseTheDatabaseIsDownIsNotAudited) {
  tokens_->RecordFailure("RevokeToken", AuditActor(), "alice", "", absl::UnavailableError("down"));
  EXPECT_TRUE(store_.failures.empty());
}

TEST(ClipForAuditTest, CutsAtACharacterBoundaryAndSpellsOutControlCharacters) {
  EXPECT_EQ(ClipForAudit(std::string("a\0b\nc", 5), 20), "a\\x00b\\nc");
  // "é" is two bytes: a cut inside it drops the whole character.
  EXPECT_EQ(ClipForAudit("abé", 3), "ab");
  EXPECT_EQ(ClipForAudit("abé", 4), "abé");
}

TEST(ClipForAuditTest, TokenContentIsNeverKept) {
  EXPECT_EQ(ClipForAudit("x personal_token_eyJhbGciOiJIUzI1NiJ9.e30.sig", 100),
            "[redacted: held a token's content]");
  EXPECT_EQ(ClipForAudit("personal_token_backup", 100), "personal_token_backup");
}

}  // namespace
}  // namespace tokengate
