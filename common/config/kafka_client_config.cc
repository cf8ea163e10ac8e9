#include "common/config/kafka_client_config.h"

#include <librdkafka/rdkafka.h>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"

ABSL_FLAG(std::string, kafka_security_protocol, "", "plaintext, ssl, sasl_plaintext or sasl_ssl");
ABSL_FLAG(std::string, kafka_sasl_mechanism, "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
ABSL_FLAG(std::string, kafka_sasl_username, "", "SASL user name");
ABSL_FLAG(std::string, kafka_sasl_password, "", "SASL password");
ABSL_FLAG(std::string, kafka_ssl_ca_file, "", "CA of the brokers' certificates (PEM); empty: system CAs");

namespace tokengate {

absl::Status KafkaClientSecurity::ApplyTo(rd_kafka_conf_t* conf) const {
  const struct {
    const char* flag;
    const char* property;
    const std::string& value;
  } settings[] = {
      {"kafka_security_protocol", "security.protocol", security_protocol},
      {"kafka_sasl_mechanism", "sasl.mechanism", sasl_mechanism},
      {"kafka_sasl_username", "sasl.username", sasl_username},
      {"kafka_sasl_password", "sasl.password", sasl_password},
      {"kafka_ssl_ca_file", "ssl.ca.location", ssl_ca_file},
  };
  for (const auto& setting : settings) {
    if (setting.value.empty()) continue;
    char error[512];
    if (rd_kafka_conf_set(conf, setting.property, setting.value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat(EnvNameOf(setting.flag), ": ", error));
    }
  }
  return absl::OkStatus();
}

const FlagList& KafkaClientSecurityFlags() {
  static const FlagList kFlags = {{FLAGS_kafka_security_protocol},
                                  {FLAGS_kafka_sasl_mechanism},
                                  {FLAGS_kafka_sasl_username},
                                  {FLAGS_kafka_sasl_password},
                                  {FLAGS_kafka_ssl_ca_file}};
  return kFlags;
}

absl::StatusOr<KafkaClientSecurity> KafkaClientSecurityFromFlags() {
  KafkaClientSecurity security{.security_protocol = absl::GetFlag(FLAGS_kafka_security_protocol),
                               .sasl_mechanism = absl::GetFlag(FLAGS_kafka_sasl_mechanism),
                               .sasl_username = absl::GetFlag(FLAGS_kafka_sasl_username),
                               .sasl_password = absl::GetFlag(FLAGS_kafka_sasl_password),
                               .ssl_ca_file = absl::GetFlag(FLAGS_kafka_ssl_ca_file)};
  // librdkafka's own checks of each value, on a configuration of no client.
  rd_kafka_conf_t* scratch = rd_kafka_conf_new();
  absl::Status applied = security.ApplyTo(scratch);
  rd_kafka_conf_destroy(scratch);
  if (!applied.ok()) return applied;
  // librdkafka would refuse these only when the client is created, with a
  // message that names no variable.
  const bool sasl = absl::StartsWithIgnoreCase(security.security_protocol, "sasl_");
  const bool with_password =
      security.sasl_mechanism == "PLAIN" || absl::StartsWith(security.sasl_mechanism, "SCRAM-");
  if (sasl && with_password && (security.sasl_username.empty() || security.sasl_password.empty())) {
    return absl::InvalidArgumentError(absl::StrCat(EnvNameOf("kafka_sasl_username"), ": SASL ",
                                                   security.sasl_mechanism,
                                                   " needs the user name and the password"));
  }
  return security;
}

}  // namespace tokengate
