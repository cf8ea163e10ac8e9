#include "services/token_authority/authority_config.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/config/kafka_client_config.h"

ABSL_FLAG(std::string, database_url, "", "libpq URI of the token database");
ABSL_FLAG(std::string, grpc_listen, "0.0.0.0:50051", "gRPC listen address (port 0: pick one)");
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
ABSL_FLAG(std::string, audit_kafka_brokers, "",
          "Kafka bootstrap servers the audit trail is published to; empty: not published");
ABSL_FLAG(std::string, audit_topic, "tokengate.audit", "Kafka topic of the audit trail");
ABSL_FLAG(int, audit_retention_days, 365, "audit records older than this are deleted");
ABSL_FLAG(std::string, tls_cert_file, "", "server certificate (PEM); empty: plaintext");
ABSL_FLAG(std::string, tls_key_file, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_ca_file, "", "CA that signs client certificates (PEM)");
ABSL_FLAG(std::string, tls_client_policy,
          "tokengate-api=*;tokengate-http2kafka=VerifyToken|WatchRevocations",
          "with TLS: client certificate identity=Method|Method;identity=*");

namespace tokengate {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(EnvNameOf(flag), ": ", why));
}

}  // namespace

const std::vector<std::string>& AuthorityFlagNames() {
  static const std::vector<std::string> kNames = {
      "database_url", "grpc_listen", "secret_key", "signing_keys", "token_algorithm",
      "token_issuer", "max_duration_days", "personal_tokens_enabled", "verify_cache_ttl_seconds",
      "negative_cache_ttl_seconds", "usage_flush_seconds", "watch_heartbeat_seconds",
      "revocation_log_retention_hours",
      "shutdown_grace_seconds", "database_pool_size", "max_tokens_per_owner",
      "max_token_creations_per_hour", "audit_kafka_brokers", "audit_topic",
      "audit_retention_days", "tls_cert_file", "tls_key_file", "tls_ca_file", "tls_client_policy"};
  static const std::vector<std::string> kAll = [] {
    std::vector<std::string> all = kNames;
    all.insert(all.end(), KafkaClientSecurityFlagNames().begin(), KafkaClientSecurityFlagNames().end());
    all.insert(all.end(), NoticeFlagNames().begin(), NoticeFlagNames().end());
    return all;
  }();
  return kAll;
}

absl::StatusOr<AuthorityConfig> AuthorityConfigFromFlags() {
  auto keys = SigningKeyring::Parse(absl::GetFlag(FLAGS_secret_key), absl::GetFlag(FLAGS_signing_keys));
  if (!keys.ok()) return Bad("signing_keys", keys.status().message());
  auto algorithm = ParseJwsAlgorithm(absl::GetFlag(FLAGS_token_algorithm));
  if (!algorithm.ok()) return Bad("token_algorithm", algorithm.status().message());

  AuthorityConfig config{.keys = *std::move(keys)};
  config.algorithm = *algorithm;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  if (config.database_url.empty()) return Bad("database_url", "must be set");
  config.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  if (auto hp = ParseHostPort(config.grpc_listen); !hp.ok()) {
    return Bad("grpc_listen", hp.status().message());
  }
  config.issuer = absl::GetFlag(FLAGS_token_issuer);
  if (config.issuer.empty()) return Bad("token_issuer", "must not be empty");
  config.max_duration_days = absl::GetFlag(FLAGS_max_duration_days);
  if (config.max_duration_days < 1 || config.max_duration_days > 3660) {
    return Bad("max_duration_days", "must be within 1..3660");
  }
  config.personal_tokens_enabled = absl::GetFlag(FLAGS_personal_tokens_enabled);

  const struct {
    const char* flag;
    int value;
    int min;
    int max;
    absl::Duration* target;
  } durations[] = {
      {"verify_cache_ttl_seconds", absl::GetFlag(FLAGS_verify_cache_ttl_seconds), 0, 3600,
       &config.verify_cache_ttl},
      {"negative_cache_ttl_seconds", absl::GetFlag(FLAGS_negative_cache_ttl_seconds), 0, 3600,
       &config.negative_cache_ttl},
      {"usage_flush_seconds", absl::GetFlag(FLAGS_usage_flush_seconds), 1, 3600,
       &config.usage_flush_interval},
      {"watch_heartbeat_seconds", absl::GetFlag(FLAGS_watch_heartbeat_seconds), 1, 600,
       &config.watch_heartbeat_interval},
      {"shutdown_grace_seconds", absl::GetFlag(FLAGS_shutdown_grace_seconds), 0, 600,
       &config.shutdown_grace},
  };
  const int retention_hours = absl::GetFlag(FLAGS_revocation_log_retention_hours);
  if (retention_hours < 0 || retention_hours > 24 * 3660) {
    return Bad("revocation_log_retention_hours", absl::StrCat("must be within 0..", 24 * 3660));
  }
  config.revocation_log_retention = absl::Hours(retention_hours);
  for (const auto& d : durations) {
    if (d.value < d.min || d.value > d.max) {
      return Bad(d.flag, absl::StrCat("must be within ", d.min, "..", d.max));
    }
    *d.target = absl::Seconds(d.value);
  }
  config.database_pool_size = absl::GetFlag(FLAGS_database_pool_size);
  if (config.database_pool_size < 1 || config.database_pool_size > 256) {
    return Bad("database_pool_size", "must be within 1..256");
  }
  config.max_tokens_per_owner = absl::GetFlag(FLAGS_max_tokens_per_owner);
  if (config.max_tokens_per_owner < 0 || config.max_tokens_per_owner > 1000000) {
    return Bad("max_tokens_per_owner", "must be within 0..1000000 (0: no limit)");
  }
  config.max_token_creations_per_hour = absl::GetFlag(FLAGS_max_token_creations_per_hour);
  if (config.max_token_creations_per_hour < 0 || config.max_token_creations_per_hour > 1000000) {
    return Bad("max_token_creations_per_hour", "must be within 0..1000000 (0: no limit)");
  }
  config.audit_kafka_brokers = absl::GetFlag(FLAGS_audit_kafka_brokers);
  config.audit_topic = absl::GetFlag(FLAGS_audit_topic);
  if (config.audit_topic.empty()) return Bad("audit_topic", "must not be empty");
  const int audit_days = absl::GetFlag(FLAGS_audit_retention_days);
  if (audit_days < 1 || audit_days > 3660) return Bad("audit_retention_days", "must be within 1..3660");
  config.audit_retention = absl::Hours(24 * audit_days);
  auto kafka_security = KafkaClientSecurityFromFlags();
  if (!kafka_security.ok()) return kafka_security.status();
  config.kafka_security = *std::move(kafka_security);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  config.tls_client_policy = absl::GetFlag(FLAGS_tls_client_policy);
  if (auto tls = CheckTlsFiles(config.tls_cert_file, config.tls_key_file, config.tls_ca_file); !tls.ok()) {
    return tls;
  }
  auto notices = NoticeConfigFromFlags();
  if (!notices.ok()) return notices.status();
  config.notices = *std::move(notices);
  return config;
}

}  // namespace tokengate
