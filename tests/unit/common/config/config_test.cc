#include "common/config/config.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(ConfigTest, EnvNameIsPrefixedUpperCase) {
  EXPECT_EQ(EnvNameOf("database_url"), "TOKENGATE_DATABASE_URL");
}

TEST(ConfigTest, SecretsAreNeverShown) {
  EXPECT_EQ(MaskedValue("secret_key", "hunter2"), "<set>");
  EXPECT_EQ(MaskedValue("signing_keys", ""), "<empty>");
  EXPECT_EQ(MaskedValue("kafka_sasl_password", "x"), "<set>");
}

TEST(ConfigTest, DatabasePasswordIsMaskedInUri) {
  EXPECT_EQ(MaskedValue("database_url", "postgresql://tg:s3cret@db:5432/tg"),
            "postgresql://tg:***@db:5432/tg");
  EXPECT_EQ(MaskedValue("database_url", "postgresql://tg@db/tg"), "postgresql://tg@db/tg");
}

TEST(ConfigTest, HostPortNeedsAValidPort) {
  EXPECT_EQ(ParseHostPort("127.0.0.1:0")->second, 0);
  EXPECT_EQ(ParseHostPort("[::1]:50051")->first, "[::1]");
  EXPECT_FALSE(ParseHostPort("localhost").ok());
  EXPECT_FALSE(ParseHostPort("host:70000").ok());
}

TEST(ConfigTest, CheckRangesNamesTheFirstFlagOutOfItsBounds) {
  EXPECT_TRUE(CheckRanges({{"http_threads", 4, 1, 1024}, {"retry_after_seconds", 1, 1, 3600}}).ok());
  const absl::Status status =
      CheckRanges({{"http_threads", 4, 1, 1024}, {"retry_after_seconds", 0, 1, 3600}});
  EXPECT_EQ(status.message(), "TOKENGATE_RETRY_AFTER_SECONDS: must be within 1..3600");
}

TEST(ConfigTest, AuthorityAddressMayListReplicasButEachNeedsAPort) {
  EXPECT_TRUE(CheckAuthorityAddress("authority:50051").ok());
  EXPECT_TRUE(CheckAuthorityAddress("ipv4:127.0.0.1:5001,127.0.0.1:5002").ok());
  EXPECT_TRUE(CheckAuthorityAddress("dns:///authority.tokengate:50051").ok());
  EXPECT_FALSE(CheckAuthorityAddress("authority").ok());
  EXPECT_FALSE(CheckAuthorityAddress("authority:0").ok());
  EXPECT_FALSE(CheckAuthorityAddress("ipv4:127.0.0.1:5001,127.0.0.1").ok());
}

}  // namespace
}  // namespace tokengate
