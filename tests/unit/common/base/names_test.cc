#include "common/base/names.h"

#include <string>

#include <gtest/gtest.h>

#include "common/base/field_error.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

TEST(NamesTest, PlainAndInternationalNamesHaveNoControlCharacter) {
  EXPECT_FALSE(HasControlCharacter("alice"));
  EXPECT_FALSE(HasControlCharacter("Zoë Müller-Ågren 张伟 🙂"));
  EXPECT_FALSE(HasControlCharacter("a\\nb"));  // A backslash and an n, not a line feed.
}

TEST(NamesTest, C0DelAndC1AreControlCharacters) {
  EXPECT_TRUE(HasControlCharacter(std::string("victim\0x", 8)));
  EXPECT_TRUE(HasControlCharacter("admin\r\nINFO forged"));
  EXPECT_TRUE(HasControlCharacter("tab\there"));
  EXPECT_TRUE(HasControlCharacter("del\x7f"));
  EXPECT_TRUE(
      HasControlCharacter("csi\xc2\x9b"
                          "31m"));                    // U+009B, the terminal's CSI.
  EXPECT_TRUE(HasControlCharacter("nel\xc2\x85"));    // U+0085, a line break to some.
  EXPECT_FALSE(HasControlCharacter("nbsp\xc2\xa0"));  // U+00A0 is printable.
}

TEST(NamesTest, RefusalIsPydanticShapedAndNamesTheField) {
  EXPECT_THAT(CheckNoControlCharacters("user_name", "alice"), IsOk());
  const absl::Status refused = CheckNoControlCharacters("user_name", std::string("victim\0x", 8));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(PayloadOf(refused, kFieldPayload), "user_name");
  EXPECT_EQ(PayloadOf(refused, kCodePayload), "string_pattern_mismatch");
  EXPECT_EQ(refused.message(), "String should match pattern '^[^\\x00-\\x1f\\x7f-\\x9f]*$'");
  EXPECT_EQ(PayloadOf(refused, kContextPayload), R"({"pattern":"^[^\\x00-\\x1f\\x7f-\\x9f]*$"})");
}

TEST(NamesTest, EscapingSpellsOutEveryControlCharacterAndKeepsTheRest) {
  EXPECT_EQ(EscapeControlCharacters("a\r\nb\tc"), "a\\r\\nb\\tc");
  EXPECT_EQ(EscapeControlCharacters(std::string("x\0y\x1b[1m\x7f", 8)), "x\\x00y\\x1b[1m\\x7f");
  EXPECT_EQ(EscapeControlCharacters("c1\xc2\x85|\xc2\x9b"), "c1\\u0085|\\u009b");
  EXPECT_EQ(EscapeControlCharacters("ls\xe2\x80\xa8ps\xe2\x80\xa9"), "ls\\u2028ps\\u2029");
  EXPECT_EQ(EscapeControlCharacters("Zoë C:\\path \xe2\x82\xac"), "Zoë C:\\path \xe2\x82\xac");
}

}  // namespace
}  // namespace tokengate
