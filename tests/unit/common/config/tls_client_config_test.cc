// The edges' TLS client block: the three files together or none, and what
// is given reaches the channel options.
#include "common/config/tls_client_config.h"

#include <gtest/gtest.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "tests/support/status_matchers.h"

ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_ca_file);

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

class TlsClientConfigTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;  // Each test starts from the defaults.
};

TEST_F(TlsClientConfigTest, NoFilesIsPlaintext) {
  auto config = TlsClientConfigFromFlags();
  ASSERT_THAT(config, IsOk());
  AuthorityChannelOptions channel{.address = "authority:50051"};
  config->ApplyTo(channel);
  EXPECT_EQ(channel.address, "authority:50051");
  EXPECT_TRUE(channel.tls_cert_file.empty() && channel.tls_key_file.empty() && channel.tls_ca_file.empty());
}

TEST_F(TlsClientConfigTest, TheThreeFilesReachTheChannel) {
  absl::SetFlag(&FLAGS_tls_cert_file, "api.crt");
  absl::SetFlag(&FLAGS_tls_key_file, "api.key");
  absl::SetFlag(&FLAGS_tls_ca_file, "ca.crt");
  auto config = TlsClientConfigFromFlags();
  ASSERT_THAT(config, IsOk());
  AuthorityChannelOptions channel;
  config->ApplyTo(channel);
  EXPECT_EQ(channel.tls_cert_file, "api.crt");
  EXPECT_EQ(channel.tls_key_file, "api.key");
  EXPECT_EQ(channel.tls_ca_file, "ca.crt");
}

TEST_F(TlsClientConfigTest, TwoOfTheThreeFilesAreRefused) {
  absl::SetFlag(&FLAGS_tls_cert_file, "api.crt");
  absl::SetFlag(&FLAGS_tls_ca_file, "ca.crt");
  auto config = TlsClientConfigFromFlags();
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "TOKENGATE_TLS_CERT_FILE: TLS needs the certificate, key and CA files together");
}

}  // namespace
}  // namespace tokengate
