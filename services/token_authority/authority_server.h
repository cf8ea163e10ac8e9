// The token authority while it serves: owns every component, starts them in
// dependency order and stops them in reverse, so main.cc is flags → config →
// Create → Run. What a component needs is given to its constructor; nothing
// is wired after construction.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/clock.h"
#include "common/base/metrics.h"
#include "common/http/http_server.h"
#include "common/http/router.h"
#include "common/pg/postgres.h"
#include "services/token_authority/audit/audit_publisher.h"
#include "services/token_authority/audit/audit_retention.h"
#include "services/token_authority/authority_config.h"
#include "services/token_authority/authority_metrics.h"
#include "services/token_authority/grpc/caller_policy.h"
#include "services/token_authority/grpc/token_authority_service.h"
#include "services/token_authority/notices/notice_scheduler.h"
#include "services/token_authority/notices/smtp_sender.h"
#include "services/token_authority/notices/user_emails.h"
#include "services/token_authority/notices/webhook_sender.h"
#include "services/token_authority/revocation/revocation_feed.h"
#include "services/token_authority/revocation/revocation_log.h"
#include "services/token_authority/service_accounts/service_accounts.h"
#include "services/token_authority/tokens/dead_uses.h"
#include "services/token_authority/tokens/grace_sweeper.h"
#include "services/token_authority/tokens/leak_reports.h"
#include "services/token_authority/tokens/personal_tokens.h"
#include "services/token_authority/tokens/token_store.h"
#include "services/token_authority/tokens/usage_recorder.h"

namespace tokengate {

// Applies the SQL migrations the binary carries (`token-authority migrate`, and every start).
absl::Status MigrateDatabase(const std::string& database_url);

class AuthorityServer {
 public:
  // Checks the settings the components refuse (INVALID_ARGUMENT), migrates
  // the database (UNAVAILABLE when it cannot) and builds the components.
  static absl::StatusOr<std::unique_ptr<AuthorityServer>> Create(const AuthorityConfig& config);
  ~AuthorityServer() { Stop(); }

  // Starts the background loops, then listens; an error when it cannot listen.
  absl::Status Start();
  // The port listened on (after Start).
  int port() const { return port_; }
  // Not serving any more (health), watch streams ended, in-flight RPCs given
  // the shutdown grace (and not a moment more once none is left, however many
  // idle connections clients hold), then the loops and the metrics port
  // stopped in reverse. Idempotent.
  void Stop();
  // Start, wait for SIGTERM or SIGINT, Stop: the process's exit code.
  int Run();

 private:
  AuthorityServer(const AuthorityConfig& config, CallerPolicy policy,
                  std::shared_ptr<grpc::ServerCredentials> credentials,
                  std::unique_ptr<AuditPublisher> audit_publisher);

  const AuthorityConfig config_;
  const CallerPolicy policy_;
  const std::shared_ptr<grpc::ServerCredentials> credentials_;
  SystemClock clock_;
  std::shared_ptr<PgPool> pool_;
  MetricsRegistry registry_;
  AuthorityMetrics metrics_;
  Router metrics_router_;
  std::unique_ptr<HttpServer> metrics_http_;  // Null without TOKENGATE_METRICS_LISTEN.
  PgTokenStore store_;
  UsageRecorder usage_;
  PersonalTokens tokens_;
  RevocationFeed feed_;
  RevocationLog revocation_log_;
  std::unique_ptr<AuditPublisher> audit_publisher_;  // Null: records stay in PostgreSQL.
  AuditRetention audit_retention_;
  SmtpSender smtp_;
  WebhookSender webhook_;
  NoticeScheduler notices_;
  UserEmails user_emails_;
  LeakReports leak_reports_;
  GraceSweeper grace_sweeper_;
  DeadUses dead_uses_;
  ServiceAccounts service_accounts_;
  TokenAuthorityService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool stopped_ = false;

  // Shuts the gRPC server down within the grace (see Stop).
  void ShutDownGrpc();
};

}  // namespace tokengate
