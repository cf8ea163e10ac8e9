#include "services/consumer/consumer_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "tests/support/status_matchers.h"

ABSL_DECLARE_FLAG(std::string, database_url);
ABSL_DECLARE_FLAG(std::string, kafka_topic);
ABSL_DECLARE_FLAG(std::string, malformed_topic);
ABSL_DECLARE_FLAG(int, batch_size);
ABSL_DECLARE_FLAG(int, kafka_session_timeout_ms);

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

using ::testing::HasSubstr;

class ConsumerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { absl::SetFlag(&FLAGS_database_url, "postgresql://db/lineage"); }
  absl::FlagSaver saver_;  // Every test starts from the defaults.
};

TEST_F(ConsumerConfigTest, DefaultsFollowTheDesign) {
  auto config = ConsumerConfigFromFlags();
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->kafka_bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(config->kafka_topic, "input.runs");
  EXPECT_EQ(config->malformed_topic, "input.runs__malformed");
  EXPECT_EQ(config->http_listen, "0.0.0.0:8003");
}

TEST_F(ConsumerConfigTest, MalformedTopicFollowsTheTopicUnlessSet) {
  absl::SetFlag(&FLAGS_kafka_topic, "team.runs");
  EXPECT_EQ(ConsumerConfigFromFlags()->malformed_topic, "team.runs__malformed");
  absl::SetFlag(&FLAGS_malformed_topic, "dead.letters");
  EXPECT_EQ(ConsumerConfigFromFlags()->malformed_topic, "dead.letters");
}

TEST_F(ConsumerConfigTest, BadValuesAreRefusedNamingTheVariable) {
  absl::SetFlag(&FLAGS_batch_size, 0);
  EXPECT_THAT(ConsumerConfigFromFlags().status().message(), HasSubstr("TOKENGATE_BATCH_SIZE"));
  absl::SetFlag(&FLAGS_batch_size, 100);
  absl::SetFlag(&FLAGS_kafka_session_timeout_ms, 1000);
  EXPECT_THAT(ConsumerConfigFromFlags().status().message(), HasSubstr("TOKENGATE_KAFKA_SESSION_TIMEOUT_MS"));
  absl::SetFlag(&FLAGS_kafka_session_timeout_ms, 10000);
  absl::SetFlag(&FLAGS_database_url, "");
  EXPECT_THAT(ConsumerConfigFromFlags().status().message(), HasSubstr("TOKENGATE_DATABASE_URL"));
}

TEST_F(ConsumerConfigTest, SideTopicMustDifferFromTheTopic) {
  absl::SetFlag(&FLAGS_malformed_topic, "input.runs");
  EXPECT_THAT(ConsumerConfigFromFlags().status().message(), HasSubstr("TOKENGATE_MALFORMED_TOPIC"));
}

}  // namespace
}  // namespace tokengate
