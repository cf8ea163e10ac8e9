// The HTTP edges' shared block: its defaults reach the server's options, and
// each bad value is refused in one line naming its variable.
#include "common/config/http_edge_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"

ABSL_DECLARE_FLAG(int, http_idle_timeout_seconds);
ABSL_DECLARE_FLAG(int, http_write_timeout_seconds);
ABSL_DECLARE_FLAG(int, retry_after_seconds);
ABSL_DECLARE_FLAG(std::string, trusted_proxies);

namespace tokengate {
namespace {

using ::testing::HasSubstr;

class HttpEdgeConfigTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;  // Each test starts from the defaults.
};

TEST_F(HttpEdgeConfigTest, DefaultsReachTheServerOptions) {
  auto config = HttpEdgeConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  HttpServerOptions options{.idle_timeout = absl::ZeroDuration(),
                            .header_timeout = absl::ZeroDuration(),
                            .write_timeout = absl::ZeroDuration()};
  config->ApplyTo(options);
  EXPECT_EQ(options.idle_timeout, absl::Seconds(60));
  EXPECT_EQ(options.header_timeout, absl::Seconds(10));
  EXPECT_EQ(options.write_timeout, absl::Seconds(30));
  EXPECT_EQ(config->retry_after, absl::Seconds(2));
  EXPECT_TRUE(config->trusted_proxies.empty());
  EXPECT_FALSE(config->swagger_assets_dir.empty());
}

TEST_F(HttpEdgeConfigTest, ApplyToLeavesWhatTheEdgeSetsItself) {
  absl::SetFlag(&FLAGS_http_idle_timeout_seconds, 5);
  HttpServerOptions options{.listen = "127.0.0.1:0", .threads = 3, .max_receiving_bytes = 1 << 20};
  HttpEdgeConfigFromFlags()->ApplyTo(options);
  EXPECT_EQ(options.idle_timeout, absl::Seconds(5));
  EXPECT_EQ(options.listen, "127.0.0.1:0");
  EXPECT_EQ(options.threads, 3);
  EXPECT_EQ(options.max_receiving_bytes, size_t{1} << 20);
}

TEST_F(HttpEdgeConfigTest, TimeoutOutOfBoundsNamesItsVariable) {
  absl::SetFlag(&FLAGS_http_write_timeout_seconds, 0);
  auto config = HttpEdgeConfigFromFlags();
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "TOKENGATE_HTTP_WRITE_TIMEOUT_SECONDS: must be within 1..3600");
}

TEST_F(HttpEdgeConfigTest, RetryAfterOfZeroIsRefused) {
  absl::SetFlag(&FLAGS_retry_after_seconds, 0);
  EXPECT_EQ(HttpEdgeConfigFromFlags().status().message(),
            "TOKENGATE_RETRY_AFTER_SECONDS: must be within 1..3600");
}

TEST_F(HttpEdgeConfigTest, TrustedProxiesAreParsedAndABadEntryNamed) {
  absl::SetFlag(&FLAGS_trusted_proxies, "10.0.0.0/8");
  auto config = HttpEdgeConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->trusted_proxies.Contains("10.1.2.3"));
  absl::SetFlag(&FLAGS_trusted_proxies, "10.0.0.0/99");
  config = HttpEdgeConfigFromFlags();
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("TOKENGATE_TRUSTED_PROXIES: "));
}

}  // namespace
}  // namespace tokengate
