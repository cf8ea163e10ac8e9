// What the session table holds sealed opens only under the same secret and
// for the same row; packed fields come back as they went in; PKCE's S256
// matches RFC 7636; a login returns only to paths of this host.
#include "services/api/auth/oidc/sealed_box.h"

#include <gtest/gtest.h>

#include "services/api/auth/oidc/oidc_login.h"
#include "services/api/auth/oidc/session_store.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

constexpr absl::string_view kSecret = "0123456789abcdef0123456789abcdef";

TEST(SealedBoxTest, OpensWhatItSealedForTheSameRow) {
  const SealedBox box(kSecret);
  const std::string sealed = box.Seal("refresh-token", "row-1");
  EXPECT_EQ(sealed.find("refresh-token"), std::string::npos) << "the token must not be readable";
  auto opened = box.Open(sealed, "row-1");
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, "refresh-token");
}

TEST(SealedBoxTest, SealingTwiceGivesDifferentBytes) {
  const SealedBox box(kSecret);
  EXPECT_NE(box.Seal("same", "row"), box.Seal("same", "row"));
}

TEST(SealedBoxTest, AnotherRowOrSecretOrAlteredByteIsRefused) {
  const SealedBox box(kSecret);
  std::string sealed = box.Seal("refresh-token", "row-1");
  EXPECT_EQ(box.Open(sealed, "row-2").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(SealedBox("another secret of at least 32 bytes").Open(sealed, "row-1").ok());
  sealed[sealed.size() / 2] ^= 1;
  EXPECT_FALSE(box.Open(sealed, "row-1").ok());
  EXPECT_FALSE(box.Open("short", "row-1").ok());
}

TEST(PackFieldsTest, FieldsComeBackWithEmptyOnesAndBinaryBytes) {
  const std::string binary("a\0b", 3);
  auto fields = UnpackFields(PackFields({"nonce", "", binary}), 3);
  ASSERT_THAT(fields, IsOk());
  EXPECT_EQ(*fields, (std::vector<std::string>{"nonce", "", binary}));
  EXPECT_FALSE(UnpackFields(PackFields({"one"}), 2).ok());
  EXPECT_FALSE(UnpackFields(PackFields({"one"}).substr(0, 5), 1).ok());
}

TEST(PkceTest, S256MatchesRfc7636AppendixB) {
  EXPECT_EQ(CodeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(RandomTokenTest, IsRandomAndUnguessable) {
  const std::string a = RandomToken();
  EXPECT_NE(a, RandomToken());
  EXPECT_EQ(a.size(), 43u);
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
