// The Kafka clients' security block: each bad value is refused before any
// client exists, in one line naming its variable; good values reach librdkafka.
#include "common/config/kafka_client_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "tests/support/status_matchers.h"

ABSL_DECLARE_FLAG(std::string, kafka_security_protocol);
ABSL_DECLARE_FLAG(std::string, kafka_sasl_mechanism);
ABSL_DECLARE_FLAG(std::string, kafka_sasl_username);
ABSL_DECLARE_FLAG(std::string, kafka_sasl_password);

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

using ::testing::HasSubstr;

class KafkaClientSecurityTest : public ::testing::Test {
 protected:
  absl::FlagSaver saver_;  // Every test starts from the defaults.
};

std::string Get(rd_kafka_conf_t* conf, const char* name) {
  char value[256];
  size_t size = sizeof(value);
  return rd_kafka_conf_get(conf, name, value, &size) == RD_KAFKA_CONF_OK ? value : "<unset>";
}

TEST_F(KafkaClientSecurityTest, DefaultsLeaveLibrdkafkasOwn) {
  auto security = KafkaClientSecurityFromFlags();
  ASSERT_THAT(security, IsOk());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_THAT(security->ApplyTo(conf), IsOk());
  EXPECT_EQ(Get(conf, "security.protocol"), "plaintext");
  rd_kafka_conf_destroy(conf);
}

TEST_F(KafkaClientSecurityTest, SaslSettingsReachTheClientConfiguration) {
  absl::SetFlag(&FLAGS_kafka_security_protocol, "SASL_SSL");
  absl::SetFlag(&FLAGS_kafka_sasl_mechanism, "SCRAM-SHA-512");
  absl::SetFlag(&FLAGS_kafka_sasl_username, "lineage");
  absl::SetFlag(&FLAGS_kafka_sasl_password, "p");
  auto security = KafkaClientSecurityFromFlags();
  ASSERT_THAT(security, IsOk());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_THAT(security->ApplyTo(conf), IsOk());
  EXPECT_EQ(Get(conf, "security.protocol"), "sasl_ssl");
  EXPECT_EQ(Get(conf, "sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(Get(conf, "sasl.username"), "lineage");
  rd_kafka_conf_destroy(conf);
}

TEST_F(KafkaClientSecurityTest, UnknownProtocolIsRefusedNamingItsVariable) {
  absl::SetFlag(&FLAGS_kafka_security_protocol, "carrier-pigeon");
  auto security = KafkaClientSecurityFromFlags();
  ASSERT_FALSE(security.ok());
  EXPECT_THAT(security.status().message(),
              HasSubstr("TOKENGATE_KAFKA_SECURITY_PROTOCOL: Invalid value \"carrier-pigeon\""));
}

TEST_F(KafkaClientSecurityTest, SaslPlainWithoutPasswordIsRefused) {
  absl::SetFlag(&FLAGS_kafka_security_protocol, "sasl_plaintext");
  absl::SetFlag(&FLAGS_kafka_sasl_mechanism, "PLAIN");
  absl::SetFlag(&FLAGS_kafka_sasl_username, "lineage");
  auto security = KafkaClientSecurityFromFlags();
  ASSERT_FALSE(security.ok());
  EXPECT_EQ(security.status().message(),
            "TOKENGATE_KAFKA_SASL_USERNAME: SASL PLAIN needs the user name and the password");
}

}  // namespace
}  // namespace tokengate
