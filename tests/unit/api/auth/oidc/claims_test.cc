// Claim checks of ID tokens and bearer access tokens: issuer, audience,
// time window with skew, nonce, token kind, user name.
#include "services/api/auth/oidc/claims.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::testing::HasSubstr;
using ::tokengate::testing::IsOk;

constexpr int64_t kNow = 1700000000;
constexpr char kIssuer[] = "https://idp.test/realms/tokengate";

// ID token claims of a login; `$` markers are replaced per test.
std::string IdClaims(absl::string_view overrides = "") {
  return absl::StrCat(R"({"iss":"https://idp.test/realms/tokengate","aud":"tokengate","azp":"tokengate",)",
                      R"("exp":)", kNow + 300, R"(,"iat":)", kNow, R"(,"nonce":"n-1","typ":"ID",)", overrides,
                      R"("preferred_username":"alice"})");
}

ClaimRules IdRules() {
  return ClaimRules{.issuer = kIssuer,
                    .client_id = "tokengate",
                    .clock_skew = absl::Seconds(30),
                    .use = TokenUse::kIdToken,
                    .nonce = "n-1"};
}

ClaimRules AccessRules() {
  return ClaimRules{.issuer = kIssuer,
                    .client_id = "tokengate",
                    .clock_skew = absl::Seconds(30),
                    .use = TokenUse::kAccessToken};
}

absl::Time Now() { return absl::FromUnixSeconds(kNow); }

std::string Message(const absl::StatusOr<TokenClaims>& result) {
  return std::string(result.status().message());
}

TEST(ClaimsTest, ValidIdTokenGivesTheUser) {
  auto claims = CheckClaims(IdClaims(), IdRules(), Now());
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->user_name, "alice");
  EXPECT_EQ(claims->expires_at, absl::FromUnixSeconds(kNow + 300));
}

TEST(ClaimsTest, AnotherIssuerIsRefused) {
  const std::string other = absl::StrReplaceAll(IdClaims(), {{"realms/tokengate", "realms/other"}});
  EXPECT_THAT(Message(CheckClaims(other, IdRules(), Now())), HasSubstr("another issuer"));
}

TEST(ClaimsTest, AnotherClientIsRefused) {
  const std::string other =
      absl::StrReplaceAll(IdClaims(), {{R"("aud":"tokengate")", R"("aud":"other-app")"}});
  EXPECT_THAT(Message(CheckClaims(other, IdRules(), Now())), HasSubstr("another client"));
}

TEST(ClaimsTest, SeveralAudiencesNeedUsAsAuthorizedParty) {
  std::string several = absl::StrReplaceAll(
      IdClaims(),
      {{R"("aud":"tokengate","azp":"tokengate")", R"("aud":["tokengate","other-app"],"azp":"other-app")"}});
  EXPECT_FALSE(CheckClaims(several, IdRules(), Now()).ok());
  several = absl::StrReplaceAll(several, {{R"("azp":"other-app")", R"("azp":"tokengate")"}});
  EXPECT_THAT(CheckClaims(several, IdRules(), Now()), IsOk());
}

TEST(ClaimsTest, ExpiredBeyondTheSkewIsRefused) {
  EXPECT_THAT(CheckClaims(IdClaims(), IdRules(), Now() + absl::Seconds(300 + 30)), IsOk());
  EXPECT_THAT(Message(CheckClaims(IdClaims(), IdRules(), Now() + absl::Seconds(300 + 31))),
              HasSubstr("expired"));
}

TEST(ClaimsTest, NotYetValidIsRefused) {
  const std::string future = IdClaims(absl::StrCat(R"("nbf":)", kNow + 120, ","));
  EXPECT_THAT(Message(CheckClaims(future, IdRules(), Now())), HasSubstr("not valid yet"));
  EXPECT_THAT(CheckClaims(future, IdRules(), Now() + absl::Seconds(100)), IsOk());
}

// Found by tests/fuzz/oidc_claims_fuzz: a time beyond int64 microseconds was
// cast (undefined behaviour), and on x86 came out as the far past, so a
// token that is never valid passed as valid since long ago.
TEST(ClaimsTest, TimesBeyondAnyDateSaturate) {
  const std::string never_valid = IdClaims(R"("nbf":1e72,)");
  EXPECT_THAT(Message(CheckClaims(never_valid, IdRules(), Now())), HasSubstr("not valid yet"));
  const std::string issued_never =
      absl::StrReplaceAll(IdClaims(), {{absl::StrCat(R"("iat":)", kNow), R"("iat":1e300)"}});
  EXPECT_THAT(Message(CheckClaims(issued_never, IdRules(), Now())), HasSubstr("future"));
  const std::string expired_always =
      absl::StrReplaceAll(IdClaims(), {{absl::StrCat(R"("exp":)", kNow + 300), R"("exp":-1e72)"}});
  EXPECT_THAT(Message(CheckClaims(expired_always, IdRules(), Now())), HasSubstr("expired"));
}

TEST(ClaimsTest, IssuedInTheFutureIsRefused) {
  const std::string claims = absl::StrReplaceAll(
      IdClaims(), {{absl::StrCat(R"("iat":)", kNow), absl::StrCat(R"("iat":)", kNow + 600)}});
  EXPECT_THAT(Message(CheckClaims(claims, IdRules(), Now())), HasSubstr("future"));
}

TEST(ClaimsTest, MissingExpiryIsRefused) {
  const std::string claims =
      absl::StrReplaceAll(IdClaims(), {{absl::StrCat(R"("exp":)", kNow + 300, ","), ""}});
  EXPECT_THAT(Message(CheckClaims(claims, IdRules(), Now())), HasSubstr("no expiry"));
}

TEST(ClaimsTest, NonceOfAnotherLoginIsRefused) {
  ClaimRules rules = IdRules();
  rules.nonce = "n-2";
  EXPECT_THAT(Message(CheckClaims(IdClaims(), rules, Now())), HasSubstr("nonce"));
}

TEST(ClaimsTest, MissingUserNameIsRefused) {
  const std::string claims =
      absl::StrReplaceAll(IdClaims(), {{R"("preferred_username":"alice")", R"("sub":"x")"}});
  EXPECT_THAT(Message(CheckClaims(claims, IdRules(), Now())), HasSubstr("preferred_username"));
}

TEST(ClaimsTest, UserNameWithAControlCharacterIsRefused) {
  // JSON escapes, as an IdP would send them: a NUL (two principals one), a
  // line break (forged log lines) and U+009B (a terminal's CSI).
  for (const char* hostile : {R"(victim\u0000x)", R"(eve\r\nINFO forged)", R"(csi\u009b31m)"}) {
    const std::string claims = absl::StrReplaceAll(
        IdClaims(),
        {{R"("preferred_username":"alice")", absl::StrCat(R"("preferred_username":")", hostile, "\"")}});
    const auto checked = CheckClaims(claims, IdRules(), Now());
    EXPECT_EQ(checked.status().code(), absl::StatusCode::kUnauthenticated) << hostile;
    EXPECT_THAT(Message(checked), HasSubstr("control characters")) << hostile;
  }
}

TEST(ClaimsTest, AccessTokenForUsByAudienceOrAuthorizedParty) {
  const std::string base = absl::StrCat(R"({"iss":"https://idp.test/realms/tokengate","exp":)", kNow + 60,
                                        R"(,"typ":"Bearer","preferred_username":"bob",)");
  EXPECT_TRUE(CheckClaims(absl::StrCat(base, R"("aud":["account","tokengate"],"azp":"tokengate-cli"})"),
                          AccessRules(), Now())
                  .ok());
  EXPECT_TRUE(
      CheckClaims(absl::StrCat(base, R"("aud":"account","azp":"tokengate"})"), AccessRules(), Now()).ok());
  EXPECT_THAT(
      Message(CheckClaims(absl::StrCat(base, R"("aud":"account","azp":"other-app"})"), AccessRules(), Now())),
      HasSubstr("another client"));
}

TEST(ClaimsTest, IdTokenIsNotAnAccessToken) {
  EXPECT_THAT(Message(CheckClaims(IdClaims(), AccessRules(), Now())), HasSubstr("not an access token"));
}

TEST(ClaimsTest, NotJsonIsRefused) {
  EXPECT_FALSE(CheckClaims("[1]", IdRules(), Now()).ok());
  EXPECT_FALSE(CheckClaims("{", IdRules(), Now()).ok());
}

}  // namespace
}  // namespace tokengate
