#include "common/base/uuid.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(UuidTest, V7CarriesItsTimestampAndVersion) {
  const std::string id = NewUuidV7(1764331200123);
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '7');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
  EXPECT_EQ(UuidV7UnixMs(id), 1764331200123);
}

TEST(UuidTest, TwoIdsInTheSameMillisecondDiffer) { EXPECT_NE(NewUuidV7(1), NewUuidV7(1)); }

TEST(UuidTest, CanonicalFormIsLowercaseAndStrict) {
  EXPECT_EQ(CanonicalUuid("0192F1A2-B3C4-7D5E-8F60-0123456789AB"), "0192f1a2-b3c4-7d5e-8f60-0123456789ab");
  EXPECT_FALSE(CanonicalUuid("0192f1a2b3c47d5e8f600123456789ab").has_value());
  EXPECT_FALSE(CanonicalUuid("0192f1a2-b3c4-7d5e-8f60-0123456789ag").has_value());
  EXPECT_FALSE(CanonicalUuid("not-a-uuid").has_value());
}

TEST(UuidTest, OtherVersionsHaveNoV7Timestamp) {
  EXPECT_FALSE(UuidV7UnixMs("0192f1a2-b3c4-4d5e-8f60-0123456789ab").has_value());
}

}  // namespace
}  // namespace tokengate
