// How every Kafka client of tokengate reaches the brokers: the security
// settings (TLS, SASL) that http2kafka's producer, the authority's audit
// producer, and the consumer with its side-topic producer share. Their flags
// (TOKENGATE_KAFKA_SECURITY_PROTOCOL, TOKENGATE_KAFKA_SASL_*,
// TOKENGATE_KAFKA_SSL_CA_FILE) are defined here once. It knows nothing of
// topics, producers or consumers, and reads no flag outside this block.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/config.h"

typedef struct rd_kafka_conf_s rd_kafka_conf_t;

namespace tokengate {

struct KafkaClientSecurity {
  // Empty values keep librdkafka's defaults (plaintext, no SASL).
  std::string security_protocol;
  std::string sasl_mechanism;
  std::string sasl_username;
  std::string sasl_password;
  std::string ssl_ca_file;

  // Sets the values given on `conf` (of the C API; the C++ API's
  // RdKafka::Conf::c_ptr_global() is one). INVALID_ARGUMENT naming the
  // variable ("TOKENGATE_KAFKA_SECURITY_PROTOCOL: …") for a value librdkafka refuses.
  absl::Status ApplyTo(rd_kafka_conf_t* conf) const;
};

const FlagList& KafkaClientSecurityFlags();

// From the parsed flags, checked before any client exists: a value librdkafka
// refuses, or SASL PLAIN/SCRAM without its user name and password, is an
// error naming the variable.
absl::StatusOr<KafkaClientSecurity> KafkaClientSecurityFromFlags();

}  // namespace tokengate
