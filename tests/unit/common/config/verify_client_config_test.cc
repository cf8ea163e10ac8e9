// The edges' verify client/cache block: its values reach the channel and
// cache options, and each bad value is refused naming its variable.
#include "common/config/verify_client_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"

ABSL_DECLARE_FLAG(std::string, authority_address);
ABSL_DECLARE_FLAG(int, verify_cache_size);
ABSL_DECLARE_FLAG(int, verify_negative_ttl_seconds);
ABSL_DECLARE_FLAG(int, verify_deadline_ms);

namespace tokengate {
namespace {

using ::testing::HasSubstr;

class VerifyClientConfigTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;  // Each test starts from the defaults.
};

TEST_F(VerifyClientConfigTest, DefaultsMatchTheCacheAndTheChannel) {
  auto config = VerifyClientConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->deadline, absl::Milliseconds(500));
  EXPECT_TRUE(config->revocation_watch_enabled);
  AuthorityChannelOptions channel;
  config->ApplyTo(channel);
  EXPECT_EQ(channel.address, "127.0.0.1:50051");
  VerifyCacheOptions cache{.max_entries = 1, .max_ttl = absl::ZeroDuration()};
  config->ApplyTo(cache);
  EXPECT_EQ(cache.max_entries, 100000u);
  EXPECT_EQ(cache.max_ttl, absl::Seconds(60));
  EXPECT_EQ(cache.negative_ttl, absl::Seconds(5));
}

TEST_F(VerifyClientConfigTest, ApplyToTheCacheKeepsWhetherItIsOn) {
  absl::SetFlag(&FLAGS_verify_cache_size, 7);
  absl::SetFlag(&FLAGS_verify_negative_ttl_seconds, 0);
  VerifyCacheOptions cache{.enabled = false};
  VerifyClientConfigFromFlags()->ApplyTo(cache);
  EXPECT_EQ(cache.max_entries, 7u);
  EXPECT_EQ(cache.negative_ttl, absl::ZeroDuration());
  EXPECT_FALSE(cache.enabled);
}

TEST_F(VerifyClientConfigTest, ApplyToTheChannelLeavesTheTlsFiles) {
  absl::SetFlag(&FLAGS_authority_address, "ipv4:10.0.0.1:50051,10.0.0.2:50051");
  AuthorityChannelOptions channel{.tls_ca_file = "ca.crt"};
  VerifyClientConfigFromFlags()->ApplyTo(channel);
  EXPECT_EQ(channel.address, "ipv4:10.0.0.1:50051,10.0.0.2:50051");
  EXPECT_EQ(channel.tls_ca_file, "ca.crt");
}

TEST_F(VerifyClientConfigTest, AddressWithoutPortNamesItsVariable) {
  absl::SetFlag(&FLAGS_authority_address, "authority");
  auto config = VerifyClientConfigFromFlags();
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("TOKENGATE_AUTHORITY_ADDRESS: 'authority' is not"));
}

TEST_F(VerifyClientConfigTest, DeadlineOutOfBoundsNamesItsVariable) {
  absl::SetFlag(&FLAGS_verify_deadline_ms, 5);
  EXPECT_EQ(VerifyClientConfigFromFlags().status().message(),
            "TOKENGATE_VERIFY_DEADLINE_MS: must be within 10..60000");
}

}  // namespace
}  // namespace tokengate
