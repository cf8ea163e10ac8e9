// The token authority's settings: read from flags/env once, validated in one
// place, then passed by value. Nothing else in the service reads flags.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/kafka_client_config.h"
#include "common/token/signing_keys.h"
#include "common/token/token_codec.h"
#include "services/token_authority/notices/notice_config.h"

namespace tokengate {

struct AuthorityConfig {
  std::string database_url;
  std::string grpc_listen = "0.0.0.0:50051";
  // HTTP port of /metrics and /monitoring/ping; empty: none.
  std::string metrics_listen;
  // How often the gauges read from PostgreSQL (outboxes, revocation log) are refreshed.
  absl::Duration metrics_refresh_interval = absl::Seconds(5);
  SigningKeyring keys;
  JwsAlgorithm algorithm = JwsAlgorithm::kHS256;
  std::string issuer = "tokengate";
  int max_duration_days = 366;
  bool personal_tokens_enabled = true;
  // How long an edge may cache a valid answer (never beyond exp).
  absl::Duration verify_cache_ttl = absl::Seconds(60);
  // How long an edge may cache an invalid answer (bad signature, expired…).
  absl::Duration negative_cache_ttl = absl::Seconds(10);
  absl::Duration usage_flush_interval = absl::Seconds(5);
  absl::Duration watch_heartbeat_interval = absl::Seconds(5);
  // How long revocations stay replayable to a WatchRevocations client that
  // resumes; one further behind is told to drop its cache instead.
  absl::Duration revocation_log_retention = absl::Hours(24 * 7);
  absl::Duration shutdown_grace = absl::Seconds(10);
  int database_pool_size = 8;
  // Per owner (token_store.h TokenLimits; 0: no limit): live tokens, and
  // tokens created or refreshed in the last hour.
  int max_tokens_per_owner = 100;
  int max_token_creations_per_hour = 60;
  // The longest grace a refresh may give the old content (issue 24).
  absl::Duration max_rotation_grace = absl::Hours(24);
  // Kafka brokers the audit trail is published to; empty: not published
  // (records stay in PostgreSQL only).
  std::string audit_kafka_brokers;
  std::string audit_topic = "tokengate.audit";
  // How the audit producer reaches the brokers (as every Kafka client does).
  KafkaClientSecurity kafka_security;
  // Audit records older than this are deleted (published ones only, while publishing).
  absl::Duration audit_retention = absl::Hours(24 * 365);
  // Service-to-service TLS; all empty means plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  // With TLS: which client identity may call which RPC (see caller_policy.h).
  std::string tls_client_policy = "tokengate-api=*;tokengate-http2kafka=VerifyToken|WatchRevocations";
  // Expiry and leak notices to owners (notice_config.h); off by default.
  NoticeConfig notices;
};

// Names of the flags the authority reads (for LoadFlags / LogEffectiveConfig).
const std::vector<std::string>& AuthorityFlagNames();
// Builds the config from the parsed flags; an error names the bad setting.
absl::StatusOr<AuthorityConfig> AuthorityConfigFromFlags();

}  // namespace tokengate
