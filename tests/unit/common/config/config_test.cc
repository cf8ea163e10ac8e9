#include "common/config/config.h"

#include <gtest/gtest.h>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "tests/support/status_matchers.h"

ABSL_FLAG(int, config_test_threads, 4, "a bounded flag");
ABSL_FLAG(int, config_test_limit, 5, "a bounded flag whose 0 means something");
ABSL_FLAG(std::string, config_test_name, "", "an unbounded flag");

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

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

const tokengate::FlagList& TestFlags() {
  static const tokengate::FlagList kFlags = {{FLAGS_config_test_threads, 1, 1024},
                                             {FLAGS_config_test_name},
                                             {FLAGS_config_test_limit, 0, 100, "0: no limit"}};
  return kFlags;
}

TEST(ConfigTest, CheckRangesNamesTheFirstFlagOutOfItsBounds) {
  absl::FlagSaver saver;
  EXPECT_THAT(CheckRanges(TestFlags()), IsOk());
  absl::SetFlag(&FLAGS_config_test_threads, 0);
  absl::SetFlag(&FLAGS_config_test_limit, -1);
  EXPECT_EQ(CheckRanges(TestFlags()).message(), "TOKENGATE_CONFIG_TEST_THREADS: must be within 1..1024");
}

TEST(ConfigTest, CheckRangesAddsTheNoteOfABound) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_config_test_limit, 101);
  EXPECT_EQ(CheckRanges(TestFlags()).message(),
            "TOKENGATE_CONFIG_TEST_LIMIT: must be within 0..100 (0: no limit)");
}

TEST(ConfigTest, FlagNamesListEveryFlagOfEveryListInOrder) {
  const FlagList more = {{FLAGS_config_test_name}};
  EXPECT_EQ(FlagNames({&TestFlags(), &more}),
            (std::vector<std::string>{"config_test_threads", "config_test_name", "config_test_limit",
                                      "config_test_name"}));
}

TEST(ConfigTest, BadFlagNamesTheVariable) {
  const absl::Status status = BadFlag("kafka_topic", "must be set");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.message(), "TOKENGATE_KAFKA_TOPIC: must be set");
}

TEST(ConfigTest, TlsFilesGoTogether) {
  EXPECT_THAT(CheckTlsFiles("", "", ""), IsOk());
  EXPECT_THAT(CheckTlsFiles("c", "k", "ca"), IsOk());
  EXPECT_EQ(CheckTlsFiles("c", "", "ca").message(),
            "TOKENGATE_TLS_CERT_FILE: TLS needs the certificate, key and CA files together");
}

TEST(ConfigTest, AuthorityAddressMayListReplicasButEachNeedsAPort) {
  EXPECT_THAT(CheckAuthorityAddress("authority:50051"), IsOk());
  EXPECT_THAT(CheckAuthorityAddress("ipv4:127.0.0.1:5001,127.0.0.1:5002"), IsOk());
  EXPECT_THAT(CheckAuthorityAddress("dns:///authority.tokengate:50051"), IsOk());
  EXPECT_FALSE(CheckAuthorityAddress("authority").ok());
  EXPECT_FALSE(CheckAuthorityAddress("authority:0").ok());
  EXPECT_FALSE(CheckAuthorityAddress("ipv4:127.0.0.1:5001,127.0.0.1").ok());
}

}  // namespace
}  // namespace tokengate
