#include "common/token/token_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/str_cat.h"
#include "common/base/base64url.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

using ::testing::HasSubstr;

constexpr int64_t kNow = 1764331200;  // 2025-11-28T12:00:00Z
const std::string kSecret(40, 's');
const std::string kOtherSecret(40, 'o');

SigningKeyring Keys(absl::string_view single, absl::string_view multi = "") {
  return *SigningKeyring::Parse(single, multi);
}

TokenClaims Claims() {
  TokenClaims c;
  c.issuer = "data-rentgen";
  c.token_id = "0192f1a2-b3c4-7d5e-8f60-0123456789ab";
  c.token_name = "etl";
  c.user_id = 7;
  c.user_name = "alice";
  c.scope = "all:read all:write";
  c.issued_at = kNow - 60;
  c.not_before = kNow - 3600;
  c.expires_at = kNow + 3600;
  return c;
}

VerifyOptions Options(int64_t now = kNow) {
  return VerifyOptions{.algorithm = JwsAlgorithm::kHS256, .issuer = "data-rentgen", .now_unix = now};
}

// Builds a token from raw JSON parts, signed like an attacker with the key would.
std::string Forge(absl::string_view header, absl::string_view payload, absl::string_view secret,
                  const EVP_MD* md = EVP_sha256()) {
  const std::string input =
      absl::StrCat(Base64UrlEncode(std::string(header)), ".", Base64UrlEncode(std::string(payload)));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return absl::StrCat("personal_token_", input, ".",
                      Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len)));
}

const char kPayload[] =
    R"({"iss":"data-rentgen","jti":"0192f1a2-b3c4-7d5e-8f60-0123456789ab","token_name":"etl",)"
    R"("sub_id":7,"preferred_username":"alice","scope":"all:read","iat":1764331140,)"
    R"("nbf":1764327600,"exp":1764334800})";

MATCHER_P(IsUnauthenticated, reason, "") {
  return arg.status().code() == absl::StatusCode::kUnauthenticated && arg.status().message() == reason;
}

TEST(TokenCodecTest, IssuedTokenVerifiesWithEveryClaim) {
  const std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  EXPECT_THAT(token, ::testing::StartsWith("personal_token_"));
  auto claims = VerifyPersonalToken(token, Keys(kSecret), Options());
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->token_id, Claims().token_id);
  EXPECT_EQ(claims->user_id, 7);
  EXPECT_EQ(claims->user_name, "alice");
  EXPECT_EQ(claims->scope, "all:read all:write");
  EXPECT_EQ(claims->expires_at, kNow + 3600);
}

TEST(TokenCodecTest, ForeignTokenWithoutKidVerifies) {
  const std::string token = Forge(R"({"alg":"HS256","typ":"JWT"})", kPayload, kSecret);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsOk());
}

TEST(TokenCodecTest, TamperedHeaderFailsSignature) {
  std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  const std::string other_header = Base64UrlEncode(R"({"alg":"HS256","typ":"JWS"})");
  token.replace(15, token.find('.') - 15, other_header);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadSignature));
}

TEST(TokenCodecTest, TamperedPayloadFailsSignature) {
  std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  const size_t first = token.find('.');
  const size_t last = token.rfind('.');
  TokenClaims widened = Claims();
  widened.expires_at += 86400 * 365;
  const std::string forged = EncodePersonalToken(widened, Keys(kOtherSecret).Newest(), JwsAlgorithm::kHS256);
  const std::string forged_payload =
      forged.substr(forged.find('.') + 1, forged.rfind('.') - forged.find('.') - 1);
  token.replace(first + 1, last - first - 1, forged_payload);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadSignature));
}

TEST(TokenCodecTest, TamperedSignatureFails) {
  std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  token.back() = token.back() == 'A' ? 'Q' : 'A';
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadSignature));
}

TEST(TokenCodecTest, SignatureThatIsNotBase64UrlFailsSignature) {
  const std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  // An impossible length, a character outside the alphabet, and padding.
  for (const std::string& broken : {token + "A", token.substr(0, token.size() - 1) + "+", token + "="}) {
    EXPECT_THAT(VerifyPersonalToken(broken, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadSignature))
        << broken.substr(broken.rfind('.'));
  }
}

TEST(TokenCodecTest, WrongKeyFailsSignature) {
  const std::string token = EncodePersonalToken(Claims(), Keys(kOtherSecret).Newest(), JwsAlgorithm::kHS256);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadSignature));
}

TEST(TokenCodecTest, AlgNoneIsRejected) {
  const std::string input =
      absl::StrCat(Base64UrlEncode(R"({"alg":"none","typ":"JWT"})"), ".", Base64UrlEncode(kPayload));
  for (const std::string& token :
       {absl::StrCat("personal_token_", input, "."), absl::StrCat("personal_token_", input, ".AAAA")}) {
    EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadAlgorithm));
  }
}

TEST(TokenCodecTest, OtherHmacAlgorithmIsRejectedEvenWhenCorrectlySigned) {
  const std::string token = Forge(R"({"alg":"HS512","typ":"JWT"})", kPayload, kSecret, EVP_sha512());
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadAlgorithm));
}

TEST(TokenCodecTest, AsymmetricAlgorithmNameIsRejected) {
  const std::string token = Forge(R"({"alg":"RS256","typ":"JWT"})", kPayload, kSecret);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadAlgorithm));
}

TEST(TokenCodecTest, ConfiguredHs512Works) {
  const std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS512);
  VerifyOptions options = Options();
  options.algorithm = JwsAlgorithm::kHS512;
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), options), IsOk());
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadAlgorithm));
}

TEST(TokenCodecTest, UnknownKidFails) {
  const auto old_keys = Keys("", absl::StrCat("k1:", kSecret));
  const std::string token = EncodePersonalToken(Claims(), old_keys.Newest(), JwsAlgorithm::kHS256);
  const auto new_keys = Keys("", absl::StrCat("k2:", kSecret));
  EXPECT_THAT(VerifyPersonalToken(token, new_keys, Options()), IsUnauthenticated(kReasonBadSignature));
}

TEST(TokenCodecTest, RotatedKeysKeepOlderTokensValid) {
  const auto old_keys = Keys("", absl::StrCat("k1:", kSecret));
  const std::string old_token = EncodePersonalToken(Claims(), old_keys.Newest(), JwsAlgorithm::kHS256);
  const auto rotated = Keys("", absl::StrCat("k2:", kOtherSecret, ",k1:", kSecret));
  EXPECT_EQ(rotated.Newest().kid, "k2");
  EXPECT_THAT(VerifyPersonalToken(old_token, rotated, Options()), IsOk());
  const std::string new_token = EncodePersonalToken(Claims(), rotated.Newest(), JwsAlgorithm::kHS256);
  EXPECT_THAT(new_token.substr(15, new_token.find('.') - 15),
              ::testing::Eq(Base64UrlEncode(R"({"alg":"HS256","typ":"JWT","kid":"k2"})")));
  EXPECT_THAT(VerifyPersonalToken(new_token, rotated, Options()), IsOk());
}

TEST(TokenCodecTest, ExpiredTokenIsRejectedAtExp) {
  const std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options(kNow + 3599)), IsOk());
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options(kNow + 3600)),
              IsUnauthenticated(kReasonExpired));
}

TEST(TokenCodecTest, NotYetValidTokenIsRejected) {
  const std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options(kNow - 3601)),
              IsUnauthenticated(kReasonNotYetValid));
}

TEST(TokenCodecTest, WrongIssuerIsRejected) {
  TokenClaims claims = Claims();
  claims.issuer = "someone-else";
  const std::string token = EncodePersonalToken(claims, Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonBadIssuer));
}

TEST(TokenCodecTest, MissingClaimIsInvalid) {
  const std::string token = Forge(R"({"alg":"HS256"})",
                                  R"({"iss":"data-rentgen","jti":"x","token_name":"etl","sub_id":7,)"
                                  R"("preferred_username":"a","scope":"all:read","iat":1,"nbf":1})",
                                  kSecret);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonInvalidToken));
}

TEST(TokenCodecTest, WronglyTypedClaimIsInvalid) {
  std::string payload = kPayload;
  payload.replace(payload.find("\"sub_id\":7"), 10, "\"sub_id\":\"7\"");
  EXPECT_THAT(VerifyPersonalToken(Forge(R"({"alg":"HS256"})", payload, kSecret), Keys(kSecret), Options()),
              IsUnauthenticated(kReasonInvalidToken));
  payload = kPayload;
  payload.replace(payload.find("\"exp\":1764334800"), 16, "\"exp\":\"1764334800\"");
  EXPECT_THAT(VerifyPersonalToken(Forge(R"({"alg":"HS256"})", payload, kSecret), Keys(kSecret), Options()),
              IsUnauthenticated(kReasonInvalidToken));
}

// kPayload with nbf/exp replaced by `nbf` and `exp` as written (JSON numbers).
std::string WithTimes(absl::string_view nbf, absl::string_view exp) {
  std::string payload = kPayload;
  payload.replace(payload.find("\"nbf\":1764327600"), 16, absl::StrCat("\"nbf\":", nbf));
  payload.replace(payload.find("\"exp\":1764334800"), 16, absl::StrCat("\"exp\":", exp));
  return Forge(R"({"alg":"HS256","typ":"JWT"})", payload, kSecret);
}

TEST(TokenCodecTest, FractionalTimesAsDataRentgenWritesThemVerify) {
  auto claims = VerifyPersonalToken(WithTimes("1764327600.0", "1764334800.0"), Keys(kSecret), Options());
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->not_before, 1764327600);
  EXPECT_EQ(claims->expires_at, 1764334800);
}

TEST(TokenCodecTest, FractionalExpRoundsDownToTheStricterSide) {
  const std::string token = WithTimes("1764327600", "1764334800.9");
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options(1764334799)), IsOk());
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options(1764334800)),
              IsUnauthenticated(kReasonExpired));
}

TEST(TokenCodecTest, FractionalNbfRoundsUpToTheStricterSide) {
  const std::string token = WithTimes("1764327600.1", "1764334800");
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options(1764327600)),
              IsUnauthenticated(kReasonNotYetValid));
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options(1764327601)), IsOk());
}

TEST(TokenCodecTest, ExponentFormAndIntegerTimesAreTheSameDate) {
  auto claims = VerifyPersonalToken(WithTimes("1.7643276e9", "1764334800"), Keys(kSecret), Options());
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->not_before, 1764327600);
}

TEST(TokenCodecTest, NonFiniteOrHugeTimesAreInvalid) {
  for (const char* exp : {"1e300", "-1e300", "true", "null"}) {
    EXPECT_THAT(VerifyPersonalToken(WithTimes("1764327600", exp), Keys(kSecret), Options()),
                IsUnauthenticated(kReasonInvalidToken))
        << exp;
  }
}

TEST(TokenCodecTest, NonObjectPartsAreInvalid) {
  EXPECT_THAT(VerifyPersonalToken(Forge(R"(["HS256"])", kPayload, kSecret), Keys(kSecret), Options()),
              IsUnauthenticated(kReasonInvalidToken));
  EXPECT_THAT(VerifyPersonalToken(Forge(R"({"alg":"HS256"})", "42", kSecret), Keys(kSecret), Options()),
              IsUnauthenticated(kReasonInvalidToken));
}

TEST(TokenCodecTest, CriticalHeaderExtensionIsRejected) {
  const std::string token = Forge(R"({"alg":"HS256","crit":["exp"]})", kPayload, kSecret);
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonInvalidToken));
}

TEST(TokenCodecTest, BadBase64UrlIsInvalid) {
  std::string token = EncodePersonalToken(Claims(), Keys(kSecret).Newest(), JwsAlgorithm::kHS256);
  token[20] = '+';
  EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonInvalidToken));
}

TEST(TokenCodecTest, WrongShapeIsInvalid) {
  for (const std::string& token : {std::string("personal_token_"), std::string("personal_token_a.b"),
                                   std::string("personal_token_a.b.c.d"), std::string("Bearer x.y.z"),
                                   std::string("access_token_a.b.c")}) {
    EXPECT_THAT(VerifyPersonalToken(token, Keys(kSecret), Options()), IsUnauthenticated(kReasonInvalidToken))
        << token;
  }
}

TEST(TokenCodecTest, MegabyteOfGarbageIsRejectedCheaply) {
  const std::string garbage = "personal_token_" + std::string(1 << 20, 'A') + "." + "B.C";
  EXPECT_THAT(VerifyPersonalToken(garbage, Keys(kSecret), Options()), IsUnauthenticated(kReasonInvalidToken));
}

TEST(SigningKeyringTest, RefusesShortKeysAndDuplicateIds) {
  EXPECT_THAT(SigningKeyring::Parse("short", "").status().message(), HasSubstr("shorter than 32"));
  EXPECT_THAT(SigningKeyring::Parse("", absl::StrCat("a:", kSecret, ",a:", kOtherSecret)).status().message(),
              HasSubstr("listed twice"));
  EXPECT_FALSE(SigningKeyring::Parse("", "").ok());
  EXPECT_FALSE(SigningKeyring::Parse("", absl::StrCat(":", kSecret)).ok());
}

TEST(SigningKeyringTest, ErrorsNeverContainTheSecret) {
  const std::string secret = "tiny-secret";
  EXPECT_THAT(std::string(SigningKeyring::Parse(secret, "").status().message()),
              ::testing::Not(HasSubstr(secret)));
}

}  // namespace
}  // namespace tokengate
