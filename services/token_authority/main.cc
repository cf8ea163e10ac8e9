// token-authority: flags/env → config → dependencies → serve gRPC; SIGTERM
// drains in-flight RPCs, ends watch streams, flushes last use, exits 0.
// Audit records are published to Kafka from their table (audit_publisher.h).
// `token-authority migrate` applies the SQL migrations and exits;
// `token-authority import-data-rentgen --from <libpq URL>` also copies a
// Data.Rentgen database's users and tokens (data_rentgen_import.h).
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/flags/flag.h"
#include "common/config/config.h"
#include "common/base/log.h"
#include "common/pg/migrations.h"
#include "common/config/program.h"
#include "common/base/signals.h"
#include "services/token_authority/audit/audit_publisher.h"
#include "services/token_authority/audit/audit_retention.h"
#include "services/token_authority/authority_config.h"
#include "services/token_authority/import/data_rentgen_import.h"
#include "services/token_authority/tokens/leak_reports.h"
#include "services/token_authority/notices/notice_scheduler.h"
#include "services/token_authority/notices/smtp_sender.h"
#include "services/token_authority/notices/user_emails.h"
#include "services/token_authority/notices/webhook_sender.h"
#include "services/token_authority/tokens/personal_tokens.h"
#include "services/token_authority/grpc/caller_policy.h"
#include "services/token_authority/grpc/token_authority_service.h"

// An argument of one command, not a setting: no TOKENGATE_ variable.
ABSL_FLAG(std::string, from, "", "import-data-rentgen: libpq URI of the Data.Rentgen database to copy");

namespace tokengate {
namespace {

constexpr absl::Duration kPruneInterval = absl::Hours(1);

// The outbox publisher when brokers are configured (see audit_publisher.h).
std::unique_ptr<AuditPublisher> MakeAuditPublisher(const AuthorityConfig& config) {
  if (config.audit_kafka_brokers.empty()) {
    TG_LOG(Info) << "audit records are kept in PostgreSQL only (TOKENGATE_AUDIT_KAFKA_BROKERS is empty)";
    return nullptr;
  }
  auto publisher = AuditPublisher::Create({.database_url = config.database_url,
                                           .brokers = config.audit_kafka_brokers,
                                           .topic = config.audit_topic,
                                           .security = config.kafka_security});
  if (!publisher.ok()) ExitOnBadConfig(publisher.status().message());
  return *std::move(publisher);
}

absl::Status Migrate(const std::string& database_url) {
  auto conn = PgConnection::Connect(database_url);
  if (!conn.ok()) return conn.status();
  int applied = 0;
  auto status = ApplyMigrations(**conn, EmbeddedMigrations(), &applied);
  if (status.ok()) TG_LOG(Info) << "migrations up to date (" << applied << " applied now)";
  return status;
}

absl::Status ImportDataRentgen(const std::string& database_url, const std::string& source_url) {
  if (source_url.empty()) {
    return absl::InvalidArgumentError("import-data-rentgen needs --from <libpq URL of the Data.Rentgen database>");
  }
  if (auto status = Migrate(database_url); !status.ok()) return status;
  auto source = PgConnection::Connect(source_url);
  if (!source.ok()) return source.status();
  auto target = PgConnection::Connect(database_url);
  if (!target.ok()) return target.status();
  TG_LOG(Info) << "importing from Data.Rentgen at " << MaskedValue("from", source_url);
  auto counts = ImportFromDataRentgen(**source, **target);
  if (!counts.ok()) return counts.status();
  std::cout << "imported from Data.Rentgen: " << FormatCounts(*counts) << std::endl;
  return absl::OkStatus();
}

int Serve(const AuthorityConfig& config) {
  if (auto status = Migrate(config.database_url); !status.ok()) {
    TG_LOG(Error) << "cannot prepare the database: " << status.message();
    return 1;
  }
  auto pool = std::make_shared<PgPool>(config.database_url, config.database_pool_size);
  PgTokenStore store(pool, TokenLimits{.max_live_per_owner = config.max_tokens_per_owner,
                                        .max_creations_per_hour = config.max_token_creations_per_hour});
  SystemClock clock;
  UsageRecorder usage(&store, config.usage_flush_interval);
  PersonalTokens tokens(config, &store, &usage, &clock);
  RevocationFeed feed(
      config.database_url, [&](const Revocation& r) { tokens.OnRevoked(r); },
      [&] { tokens.OnFeedGap(); });
  tokens.SetCacheTrusted([&] { return feed.Listening(); });
  auto policy = CallerPolicy::Parse(config.tls_client_policy);
  auto credentials = MakeServerCredentials(config.grpc_listen, config.tls_cert_file,
                                           config.tls_key_file, config.tls_ca_file);
  if (!policy.ok() || !credentials.ok()) {
    ExitOnBadConfig(!policy.ok() ? policy.status().message() : credentials.status().message());
  }
  RevocationLog revocation_log(pool);
  std::unique_ptr<AuditPublisher> audit_publisher = MakeAuditPublisher(config);
  AuditRetention audit_retention(pool, config.audit_retention, audit_publisher != nullptr);
  TokenAuthorityService service(&tokens, &feed, &revocation_log, &*policy,
                                config.watch_heartbeat_interval);
  InitNoticeSenders();
  SmtpSender smtp(config.notices);
  WebhookSender webhook(config.notices);
  NoticeScheduler notices(config.notices, config.database_url,
                          config.notices.email_enabled() ? &smtp : nullptr,
                          config.notices.webhook_enabled() ? &webhook : nullptr);
  UserEmails user_emails(pool);
  LeakReports leak_reports(config, pool, &tokens, &clock, notices.Channels(), [&] { notices.Wake(); });
  service.SetNoticeParts(&user_emails, &leak_reports);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this a second server binds the same port silently (SO_REUSEPORT).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort(config.grpc_listen, *credentials, &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    TG_LOG(Error) << "cannot listen on " << config.grpc_listen << " (in use?)";
    return 1;
  }
  feed.Start();
  usage.Start();
  revocation_log.StartPruning(config.revocation_log_retention, kPruneInterval);
  if (audit_publisher) audit_publisher->Start();
  audit_retention.Start(kPruneInterval);
  if (config.notices.enabled()) notices.Start();
  TG_LOG(Info) << "token-authority listening on port " << port;

  const int signal = WaitForTerminationSignal();
  TG_LOG(Info) << "signal " << signal << ": draining";
  server->GetHealthCheckService()->SetServingStatus(false);
  feed.Stop();  // Ends watch streams, which would otherwise hold Shutdown.
  server->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(config.shutdown_grace));
  server->Wait();
  usage.Stop();
  notices.Stop();
  revocation_log.StopPruning();
  audit_retention.Stop();
  // What it has not sent by now waits in the table for the next start.
  if (audit_publisher) audit_publisher->Stop();
  TG_LOG(Info) << "stopped";
  return 0;
}

}  // namespace
}  // namespace tokengate

int main(int argc, char** argv) {
  using namespace tokengate;
  auto [command, config] = StartProgram({.name = "token-authority",
                                         .flag_names = AuthorityFlagNames(),
                                         .commands = {"migrate", "import-data-rentgen"}},
                                        argc, argv, AuthorityConfigFromFlags);
  if (command == "migrate") {
    auto status = Migrate(config.database_url);
    if (!status.ok()) TG_LOG(Error) << status.message();
    return status.ok() ? 0 : 1;
  }
  if (command == "import-data-rentgen") {
    auto status = ImportDataRentgen(config.database_url, absl::GetFlag(FLAGS_from));
    if (!status.ok()) TG_LOG(Error) << "import-data-rentgen: " << status.message();
    return status.ok() ? 0 : 1;
  }
  return Serve(config);
}
