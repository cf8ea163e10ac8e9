#include "services/token_authority/authority_server.h"

#include <thread>

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/synchronization/notification.h"
#include "common/base/log.h"
#include "common/base/signals.h"
#include "common/base/status_macros.h"
#include "common/http/monitoring_routes.h"
#include "common/pg/migrations.h"

namespace tokengate {
namespace {

constexpr absl::Duration kPruneInterval = absl::Hours(1);
// A grace ends within this (plus the revocation's way to the edges, which
// already refuse the token at its grace_until: see GraceSweeper).
constexpr absl::Duration kGraceSweepInterval = absl::Milliseconds(250);
// How often Stop cuts client connections again until gRPC's Shutdown returns.
constexpr absl::Duration kDisconnectRetry = absl::Milliseconds(50);

// The outbox publisher when brokers are configured (see audit_publisher.h).
absl::StatusOr<std::unique_ptr<AuditPublisher>> MakeAuditPublisher(const AuthorityConfig& config) {
  if (config.audit_kafka_brokers.empty()) {
    TG_LOG(Info) << "audit records are kept in PostgreSQL only (TOKENGATE_AUDIT_KAFKA_BROKERS is empty)";
    return nullptr;
  }
  return AuditPublisher::Create({.database_url = config.database_url,
                                 .brokers = config.audit_kafka_brokers,
                                 .topic = config.audit_topic,
                                 .security = config.kafka_security});
}

}  // namespace

absl::Status MigrateDatabase(const std::string& database_url) {
  TG_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(database_url));
  int applied = 0;
  auto status = ApplyMigrations(*conn, EmbeddedMigrations(), &applied);
  if (status.ok()) TG_LOG(Info) << "migrations up to date (" << applied << " applied now)";
  return status;
}

absl::StatusOr<std::unique_ptr<AuthorityServer>> AuthorityServer::Create(const AuthorityConfig& config) {
  TG_ASSIGN_OR_RETURN(auto policy, CallerPolicy::Parse(config.tls_client_policy));
  TG_ASSIGN_OR_RETURN(auto credentials, MakeServerCredentials(config.grpc_listen, config.tls_cert_file,
                                                              config.tls_key_file, config.tls_ca_file));
  TG_ASSIGN_OR_RETURN(auto audit_publisher, MakeAuditPublisher(config));
  if (auto status = MigrateDatabase(config.database_url); !status.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot prepare the database: ", status.message()));
  }
  InitNoticeSenders();
  return std::unique_ptr<AuthorityServer>(
      new AuthorityServer(config, std::move(policy), std::move(credentials), std::move(audit_publisher)));
}

AuthorityServer::AuthorityServer(const AuthorityConfig& config, CallerPolicy policy,
                                 std::shared_ptr<grpc::ServerCredentials> credentials,
                                 std::unique_ptr<AuditPublisher> audit_publisher)
    : config_(config),
      policy_(std::move(policy)),
      credentials_(std::move(credentials)),
      pool_(std::make_shared<PgPool>(config.database_url, config.database_pool_size)),
      metrics_(&registry_, {.pool = pool_,
                            .keys = &config_.keys,
                            .audit_published = !config.audit_kafka_brokers.empty(),
                            .refresh_interval = config.metrics_refresh_interval}),
      metrics_router_(RouterOptions{.metrics = &registry_}),
      store_(pool_, TokenLimits{.max_live_per_owner = config.max_tokens_per_owner,
                                .max_creations_per_hour = config.max_token_creations_per_hour}),
      usage_(&store_, config.usage_flush_interval),
      // Cached rows are trusted only while the feed would tell of their revocation.
      tokens_(config_, &store_, &usage_, &clock_, [this] { return feed_.Listening(); }),
      feed_(
          config.database_url, [this](const Revocation& r) { tokens_.OnRevoked(r); },
          [this] { tokens_.OnFeedGap(); }),
      revocation_log_(pool_),
      audit_publisher_(std::move(audit_publisher)),
      audit_retention_(pool_, config.audit_retention, audit_publisher_ != nullptr),
      smtp_(config.notices),
      webhook_(config.notices),
      notices_(config.notices, config.database_url, config.notices.email_enabled() ? &smtp_ : nullptr,
               config.notices.webhook_enabled() ? &webhook_ : nullptr),
      user_emails_(pool_),
      leak_reports_(config_, pool_, &tokens_, &clock_, notices_.Channels(), [this] { notices_.Wake(); }),
      grace_sweeper_(&store_, kGraceSweepInterval),
      dead_uses_(&store_, [this] { notices_.Wake(); }),
      service_accounts_(pool_, &tokens_, &clock_),
      service_(&tokens_, &feed_, &revocation_log_, &policy_, config.watch_heartbeat_interval, &user_emails_,
               &leak_reports_, &dead_uses_, &service_accounts_) {}

absl::Status AuthorityServer::Start() {
  metrics_.Start();
  if (audit_publisher_) audit_publisher_->Start();
  audit_retention_.Start(kPruneInterval);
  revocation_log_.StartPruning(config_.revocation_log_retention, kPruneInterval);
  if (config_.notices.enabled()) notices_.Start();
  usage_.Start();
  grace_sweeper_.Start();
  feed_.Start();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this a second server binds the same port silently (SO_REUSEPORT).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(config_.grpc_listen, credentials_, &port_);
  builder.RegisterService(&service_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics_.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config_.grpc_listen, " (in use?)"));
  }
  TG_LOG(Info) << "token-authority listening on port " << port_;
  if (!config_.metrics_listen.empty()) {
    // Probes and scrapes only: nothing here reaches a token. After the gRPC
    // port, so whoever waits for a "listening" line finds the service up.
    AddMonitoringRoutes(metrics_router_, &registry_);
    TG_ASSIGN_OR_RETURN(
        auto http, HttpServer::Start(
                       {.program = "token-authority metrics", .listen = config_.metrics_listen, .threads = 1},
                       &metrics_router_));
    metrics_http_ = std::move(http);
  }
  return absl::OkStatus();
}

void AuthorityServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    feed_.Stop();  // Ends watch streams, which would otherwise hold Shutdown.
    ShutDownGrpc();
  }
  feed_.Stop();
  grace_sweeper_.Stop();
  usage_.Stop();
  notices_.Stop();
  revocation_log_.StopPruning();
  audit_retention_.Stop();
  // What it has not sent by now waits in the table for the next start.
  if (audit_publisher_) audit_publisher_->Stop();
  metrics_.Stop();
  if (metrics_http_ != nullptr) metrics_http_->Shutdown();
}

void AuthorityServer::ShutDownGrpc() {
  const absl::Time deadline = absl::Now() + config_.shutdown_grace;
  absl::Notification begun;
  absl::Notification done;
  std::thread shutdown([&] {
    begun.Notify();
    server_->Shutdown(absl::ToChronoTime(deadline));
    done.Notify();
  });
  // gRPC's Shutdown refuses new RPCs, then waits for the running ones AND for
  // every client to close its connection, which an idle channel never does by
  // itself (one held the whole grace). So once no RPC is left, the connections
  // are cut; again while Shutdown has not returned, in case the first cut came
  // before it had begun.
  begun.WaitForNotification();
  while (!done.HasBeenNotified() && metrics_.AwaitNoRpcInFlight(deadline) && absl::Now() < deadline) {
    grpc_server_cancel_all_calls(server_->c_server());
    done.WaitForNotificationWithDeadline(std::min(deadline, absl::Now() + kDisconnectRetry));
  }
  shutdown.join();
  server_->Wait();
}

int AuthorityServer::Run() {
  if (auto status = Start(); !status.ok()) {
    TG_LOG(Error) << status.message();
    Stop();
    return 1;
  }
  const int signal = WaitForTerminationSignal();
  TG_LOG(Info) << "signal " << signal << ": draining";
  Stop();
  TG_LOG(Info) << "stopped";
  return 0;
}

}  // namespace tokengate
