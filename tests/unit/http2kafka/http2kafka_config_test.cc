#include "services/http2kafka/http2kafka_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "tests/support/status_matchers.h"

ABSL_DECLARE_FLAG(std::string, delivery_mode);
ABSL_DECLARE_FLAG(int, max_body_bytes);
ABSL_DECLARE_FLAG(std::string, kafka_topic);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(int, kafka_reconnect_backoff_ms);
ABSL_DECLARE_FLAG(int, kafka_reconnect_backoff_max_ms);
ABSL_DECLARE_FLAG(std::string, authority_address);

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

using ::testing::HasSubstr;

class Http2KafkaConfigTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;  // Each test starts from the defaults.
};

TEST_F(Http2KafkaConfigTest, DefaultsAreDurableTenMegabytesAndInputRuns) {
  auto config = Http2KafkaConfigFromFlags();
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->delivery_mode, DeliveryMode::kDurable);
  EXPECT_EQ(config->max_body_bytes, size_t{10} << 20);
  EXPECT_EQ(config->kafka.topic, "input.runs");
  EXPECT_EQ(config->http_listen, "0.0.0.0:8002");
}

TEST_F(Http2KafkaConfigTest, KafkaOutageDefaultsAnswerWithinTwoSecondsAndReconnectWithinHalfASecond) {
  auto config = Http2KafkaConfigFromFlags();
  ASSERT_THAT(config, IsOk());
  EXPECT_LE(config->kafka.message_timeout, absl::Seconds(1));
  EXPECT_LE(config->kafka.reconnect_backoff_max, absl::Milliseconds(500));
  EXPECT_GT(config->kafka.verdict_deadline, config->kafka.message_timeout);
  EXPECT_LE(config->kafka.verdict_deadline, absl::Milliseconds(1800));
}

TEST_F(Http2KafkaConfigTest, FireAndForgetHasNoVerdictDeadline) {
  absl::SetFlag(&FLAGS_delivery_mode, "fire-and-forget");
  EXPECT_EQ(Http2KafkaConfigFromFlags()->kafka.verdict_deadline, absl::ZeroDuration());
}

TEST_F(Http2KafkaConfigTest, FireAndForgetEventsWaitMinutesForKafkaInsteadOfExpiring) {
  absl::SetFlag(&FLAGS_delivery_mode, "fire-and-forget");
  EXPECT_GE(Http2KafkaConfigFromFlags()->kafka.message_timeout, absl::Minutes(5));
}

TEST_F(Http2KafkaConfigTest, ReconnectBackoffMaxBelowItsStartIsRefused) {
  absl::SetFlag(&FLAGS_kafka_reconnect_backoff_ms, 800);
  absl::SetFlag(&FLAGS_kafka_reconnect_backoff_max_ms, 500);
  auto config = Http2KafkaConfigFromFlags();
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("TOKENGATE_KAFKA_RECONNECT_BACKOFF_MAX_MS"));
}

TEST_F(Http2KafkaConfigTest, AuthorityAddressMayNameBothReplicas) {
  absl::SetFlag(&FLAGS_authority_address, "ipv4:10.0.0.1:50051,10.0.0.2:50051");
  EXPECT_THAT(Http2KafkaConfigFromFlags(), IsOk());
  absl::SetFlag(&FLAGS_authority_address, "authority");
  auto config = Http2KafkaConfigFromFlags();
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("TOKENGATE_AUTHORITY_ADDRESS"));
}

TEST_F(Http2KafkaConfigTest, FireAndForgetIsSpelledOut) {
  absl::SetFlag(&FLAGS_delivery_mode, "fire-and-forget");
  EXPECT_EQ(Http2KafkaConfigFromFlags()->delivery_mode, DeliveryMode::kFireAndForget);
}

TEST_F(Http2KafkaConfigTest, UnknownDeliveryModeNamesTheVariable) {
  absl::SetFlag(&FLAGS_delivery_mode, "async");
  auto config = Http2KafkaConfigFromFlags();
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("TOKENGATE_DELIVERY_MODE"));
}

TEST_F(Http2KafkaConfigTest, TinyBodyLimitIsRefused) {
  absl::SetFlag(&FLAGS_max_body_bytes, 10);
  EXPECT_THAT(Http2KafkaConfigFromFlags().status().message(), HasSubstr("TOKENGATE_MAX_BODY_BYTES"));
}

TEST_F(Http2KafkaConfigTest, EmptyTopicIsRefused) {
  absl::SetFlag(&FLAGS_kafka_topic, "");
  EXPECT_THAT(Http2KafkaConfigFromFlags().status().message(), HasSubstr("TOKENGATE_KAFKA_TOPIC"));
}

TEST_F(Http2KafkaConfigTest, TlsNeedsAllThreeFiles) {
  absl::SetFlag(&FLAGS_tls_cert_file, "/etc/tokengate/tls.crt");
  EXPECT_THAT(Http2KafkaConfigFromFlags().status().message(), HasSubstr("TLS needs"));
}

}  // namespace
}  // namespace tokengate
