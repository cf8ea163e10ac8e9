#include "common/base/base64url.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(Base64UrlTest, RoundTripsEveryLengthModuloThree) {
  for (const std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    const auto decoded = Base64UrlDecode(Base64UrlEncode(text));
    ASSERT_TRUE(decoded.has_value()) << text;
    EXPECT_EQ(*decoded, text);
  }
}

TEST(Base64UrlTest, UsesUrlAlphabetWithoutPadding) { EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8"); }

TEST(Base64UrlTest, RejectsPaddingAndForeignCharacters) {
  EXPECT_FALSE(Base64UrlDecode("Zm9v=").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm+v").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm/v").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm9 ").has_value());
}

TEST(Base64UrlTest, RejectsImpossibleLengthAndNonCanonicalTail) {
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());  // "Zg" is the only encoding of "f".
}

}  // namespace
}  // namespace tokengate
