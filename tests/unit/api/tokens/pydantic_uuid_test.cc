#include "services/api/tokens/pydantic_uuid.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

constexpr char kCanonical[] = "0192f1a2-b3c4-7d5e-8f60-0123456789ab";

TEST(PydanticUuidTest, AcceptsEveryFormDataRentgenAccepts) {
  for (const char* text : {"0192f1a2-b3c4-7d5e-8f60-0123456789ab", "0192F1A2-B3C4-7D5E-8F60-0123456789AB",
                           "0192f1a2b3c47d5e8f600123456789ab", "{0192f1a2-b3c4-7d5e-8f60-0123456789ab}",
                           "urn:uuid:0192f1a2-b3c4-7d5e-8f60-0123456789ab"}) {
    const UuidParse parsed = ParseUuidAsPydantic(text);
    EXPECT_EQ(parsed.canonical, kCanonical) << text;
    EXPECT_EQ(parsed.error, "") << text;
  }
}

// Each message as Data.Rentgen 0.7.2 answered it for the same input.
TEST(PydanticUuidTest, ExplainsWhatIsWrongInPydanticsWords) {
  const std::pair<const char*, const char*> cases[] = {
      {"abc", "invalid length: expected length 32 for simple format, found 3"},
      {"", "invalid length: expected length 32 for simple format, found 0"},
      {"0192f1a2b3c47d5e8f600123456789ab0", "invalid length: expected length 32 for simple format, found 33"},
      {"xyz", "invalid character: found `x` at 1"},
      {"0192f1a2-b3c4-7d5e-8f60-0123456789aX", "invalid character: found `X` at 36"},
      {"urn:uuid:zz", "invalid character: found `z` at 10"},
      {"{0192f1a2-b3c4-7d5e-8f60-0123456789ab", "invalid character: found `{` at 1"},
      {"\xC3\xA9", "invalid character: found `\xC3\xA9` at 1"},
      {"0192f1a2-b3c4-7d5e-8f60", "invalid group count: expected 5, found 4"},
      {"{abc}", "invalid group count: expected 5, found 1"},
      {"--", "invalid group count: expected 5, found 3"},
      {"0192f1a2-b3c4-7d5e-8f60-0123456789ab-", "invalid group count: expected 5, found 6"},
      {"a-b-c-d-e", "invalid group length in group 0: expected 8, found 1"},
      {"0192f1a2-b3c4-7d5e-8f6-00123456789ab", "invalid group length in group 3: expected 4, found 3"},
      {"0192f1a2-b3c4-7d5e-8f60-0123456789ab0", "invalid group length in group 4: expected 12, found 13"},
  };
  for (const auto& [text, why] : cases) {
    const UuidParse parsed = ParseUuidAsPydantic(text);
    EXPECT_EQ(parsed.canonical, "") << text;
    EXPECT_EQ(parsed.error, std::string("Input should be a valid UUID, ") + why) << text;
  }
}

}  // namespace
}  // namespace tokengate
