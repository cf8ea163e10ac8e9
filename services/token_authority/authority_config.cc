#include "services/token_authority/authority_config.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "common/base/status_macros.h"
#include "common/config/config.h"
#include "common/config/kafka_client_config.h"

ABSL_FLAG(std::string, database_url, "", "libpq URI of the token database");
ABSL_FLAG(std::string, grpc_listen, "0.0.0.0:50051", "gRPC listen address (port 0: pick one)");
ABSL_FLAG(std::string, metrics_listen, "",
          "HTTP listen address of /metrics and /monitoring/ping (port 0: pick one); empty: none");
ABSL_FLAG(int, metrics_refresh_seconds, 5, "how often the outbox and revocation log gauges are read");
ABSL_FLAG(std::string, secret_key, "", "HS256 key (single-key form)");
ABSL_FLAG(std::string, signing_keys, "", "kid1:secret1,kid2:secret2, newest first");
ABSL_FLAG(std::string, token_algorithm, "HS256", "JWS algorithm: HS256, HS384 or HS512");
ABSL_FLAG(std::string, token_issuer, "tokengate", "the `iss` claim; data-rentgen to share tokens");
ABSL_FLAG(int, max_duration_days, 366, "longest allowed token lifetime in days");
ABSL_FLAG(bool, personal_tokens_enabled, true, "issue and accept personal tokens");
ABSL_FLAG(int, verify_cache_ttl_seconds, 60, "how long edges may cache a valid answer");
ABSL_FLAG(int, negative_cache_ttl_seconds, 10, "how long edges may cache an invalid answer");
ABSL_FLAG(int, usage_flush_seconds, 5, "how often last_used_at is written");
ABSL_FLAG(int, watch_heartbeat_seconds, 5, "heartbeat period of WatchRevocations streams");
ABSL_FLAG(int, revocation_log_retention_hours, 168,
          "how long revocations stay replayable to edges that resume their stream");
ABSL_FLAG(int, shutdown_grace_seconds, 10, "how long SIGTERM waits for in-flight RPCs");
ABSL_FLAG(int, database_pool_size, 8, "PostgreSQL connections");
ABSL_FLAG(int, max_tokens_per_owner, 100, "live personal tokens one user may hold; 0: no limit");
ABSL_FLAG(int, max_token_creations_per_hour, 60,
          "personal tokens one user may create or refresh per hour; 0: no limit");
ABSL_FLAG(int, max_rotation_grace_seconds, 86400,
          "longest time a refresh may keep the old token working (grace_seconds); 0: no grace");
ABSL_FLAG(std::string, audit_kafka_brokers, "",
          "Kafka bootstrap servers the audit trail is published to; empty: not published");
ABSL_FLAG(std::string, audit_topic, "tokengate.audit", "Kafka topic of the audit trail");
ABSL_FLAG(int, audit_retention_days, 365, "audit records older than this are deleted");
ABSL_FLAG(std::string, tls_cert_file, "", "server certificate (PEM); empty: plaintext");
ABSL_FLAG(std::string, tls_key_file, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_ca_file, "", "CA that signs client certificates (PEM)");
ABSL_FLAG(std::string, tls_client_policy, "tokengate-api=*;tokengate-http2kafka=VerifyToken|WatchRevocations",
          "with TLS: client certificate identity=Method|Method;identity=*");

namespace tokengate {
namespace {

const FlagList& AuthorityFlags() {
  static const FlagList kFlags = {
      {FLAGS_database_url},
      {FLAGS_grpc_listen},
      {FLAGS_metrics_listen},
      {FLAGS_metrics_refresh_seconds, 1, 3600},
      {FLAGS_secret_key},
      {FLAGS_signing_keys},
      {FLAGS_token_algorithm},
      {FLAGS_token_issuer},
      {FLAGS_max_duration_days, 1, 3660},
      {FLAGS_personal_tokens_enabled},
      {FLAGS_verify_cache_ttl_seconds, 0, 3600},
      {FLAGS_negative_cache_ttl_seconds, 0, 3600},
      {FLAGS_usage_flush_seconds, 1, 3600},
      {FLAGS_watch_heartbeat_seconds, 1, 600},
      {FLAGS_revocation_log_retention_hours, 0, 24 * 3660},
      {FLAGS_shutdown_grace_seconds, 0, 600},
      {FLAGS_database_pool_size, 1, 256},
      {FLAGS_max_tokens_per_owner, 0, 1000000, "0: no limit"},
      {FLAGS_max_token_creations_per_hour, 0, 1000000, "0: no limit"},
      {FLAGS_max_rotation_grace_seconds, 0, 7 * 86400},
      {FLAGS_audit_kafka_brokers},
      {FLAGS_audit_topic},
      {FLAGS_audit_retention_days, 1, 3660},
      {FLAGS_tls_cert_file},
      {FLAGS_tls_key_file},
      {FLAGS_tls_ca_file},
      {FLAGS_tls_client_policy},
  };
  return kFlags;
}

}  // namespace

const std::vector<std::string>& AuthorityFlagNames() {
  static const std::vector<std::string> kNames =
      FlagNames({&AuthorityFlags(), &KafkaClientSecurityFlags(), &NoticeFlags()});
  return kNames;
}

absl::StatusOr<AuthorityConfig> AuthorityConfigFromFlags() {
  auto keys = SigningKeyring::Parse(absl::GetFlag(FLAGS_secret_key), absl::GetFlag(FLAGS_signing_keys));
  if (!keys.ok()) return BadFlag(FLAGS_signing_keys, keys.status().message());
  auto algorithm = ParseJwsAlgorithm(absl::GetFlag(FLAGS_token_algorithm));
  if (!algorithm.ok()) return BadFlag(FLAGS_token_algorithm, algorithm.status().message());

  AuthorityConfig config{.keys = *std::move(keys)};
  config.algorithm = *algorithm;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  if (config.database_url.empty()) return BadFlag(FLAGS_database_url, "must be set");
  config.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  if (auto hp = ParseHostPort(config.grpc_listen); !hp.ok()) {
    return BadFlag(FLAGS_grpc_listen, hp.status().message());
  }
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (auto hp = ParseHostPort(config.metrics_listen); !config.metrics_listen.empty() && !hp.ok()) {
    return BadFlag(FLAGS_metrics_listen, hp.status().message());
  }
  config.issuer = absl::GetFlag(FLAGS_token_issuer);
  if (config.issuer.empty()) return BadFlag(FLAGS_token_issuer, "must not be empty");
  if (absl::Status ranges = CheckRanges(AuthorityFlags()); !ranges.ok()) return ranges;
  config.max_duration_days = absl::GetFlag(FLAGS_max_duration_days);
  config.personal_tokens_enabled = absl::GetFlag(FLAGS_personal_tokens_enabled);
  config.verify_cache_ttl = absl::Seconds(absl::GetFlag(FLAGS_verify_cache_ttl_seconds));
  config.negative_cache_ttl = absl::Seconds(absl::GetFlag(FLAGS_negative_cache_ttl_seconds));
  config.usage_flush_interval = absl::Seconds(absl::GetFlag(FLAGS_usage_flush_seconds));
  config.watch_heartbeat_interval = absl::Seconds(absl::GetFlag(FLAGS_watch_heartbeat_seconds));
  config.revocation_log_retention = absl::Hours(absl::GetFlag(FLAGS_revocation_log_retention_hours));
  config.metrics_refresh_interval = absl::Seconds(absl::GetFlag(FLAGS_metrics_refresh_seconds));
  config.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  config.database_pool_size = absl::GetFlag(FLAGS_database_pool_size);
  config.max_tokens_per_owner = absl::GetFlag(FLAGS_max_tokens_per_owner);
  config.max_token_creations_per_hour = absl::GetFlag(FLAGS_max_token_creations_per_hour);
  config.max_rotation_grace = absl::Seconds(absl::GetFlag(FLAGS_max_rotation_grace_seconds));
  config.audit_kafka_brokers = absl::GetFlag(FLAGS_audit_kafka_brokers);
  config.audit_topic = absl::GetFlag(FLAGS_audit_topic);
  if (config.audit_topic.empty()) return BadFlag(FLAGS_audit_topic, "must not be empty");
  config.audit_retention = absl::Hours(24 * absl::GetFlag(FLAGS_audit_retention_days));
  TG_ASSIGN_OR_RETURN(config.kafka_security, KafkaClientSecurityFromFlags());
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  config.tls_client_policy = absl::GetFlag(FLAGS_tls_client_policy);
  if (auto tls = CheckTlsFiles(config.tls_cert_file, config.tls_key_file, config.tls_ca_file); !tls.ok()) {
    return tls;
  }
  TG_ASSIGN_OR_RETURN(config.notices, NoticeConfigFromFlags());
  return config;
}

}  // namespace tokengate
