// VerifyResultOf: the `result` label of tokengate_authority_verify_results_total
// must tell the answers PersonalTokens gives apart (docs/metrics.md).
#include "services/token_authority/authority_metrics.h"

#include <gtest/gtest.h>

#include "common/token/token_codec.h"

namespace tokengate {
namespace {

v1::VerifyTokenResponse Invalid(absl::string_view reason) {
  v1::VerifyTokenResponse answer;
  answer.set_reason(std::string(reason));
  return answer;
}

TEST(VerifyResultOfTest, NamesEveryKindOfAnswer) {
  v1::VerifyTokenResponse valid;
  valid.set_valid(true);
  EXPECT_EQ(VerifyResultOf(valid), "valid");
  v1::VerifyTokenResponse revoked = Invalid(RevokedTokenReason("etl", "0190-id"));
  revoked.set_revoked(true);
  EXPECT_EQ(VerifyResultOf(revoked), "revoked");
  EXPECT_EQ(VerifyResultOf(Invalid(kReasonExpired)), "expired");
  EXPECT_EQ(VerifyResultOf(Invalid(kReasonBadSignature)), "bad_signature");
  // Well signed, but no row of that user: worded "revoked" for Data.Rentgen, not remembered as such.
  EXPECT_EQ(VerifyResultOf(Invalid(RevokedTokenReason("etl", "0190-id"))), "unknown");
  EXPECT_EQ(VerifyResultOf(Invalid(kReasonInvalidToken)), "invalid");
  EXPECT_EQ(VerifyResultOf(Invalid(kReasonBadIssuer)), "invalid");
}

}  // namespace
}  // namespace tokengate
