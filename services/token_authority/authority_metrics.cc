#include "services/token_authority/authority_metrics.h"

#include <google/protobuf/descriptor.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/base/log.h"
#include "common/config/version.h"
#include "common/token/token_codec.h"

namespace tokengate {
namespace {

constexpr absl::string_view kWatchMethod = "WatchRevocations";
constexpr absl::string_view kVerifyMethod = "VerifyToken";
// token_notice's channel and state values (deploy/migrations/0005_notices.sql).
constexpr const char* kNoticeChannels[] = {"email", "webhook"};
constexpr const char* kNoticeStates[] = {"pending", "sending", "sent", "failed", "dropped"};

// The method's name when the server really has it ("/pkg.Service/Method" is
// looked up in the generated descriptors), else "other": a client choosing
// method names must not be able to grow the label set.
std::string MethodLabel(const char* path) {
  absl::string_view full = path != nullptr ? path : "";
  const size_t slash = full.rfind('/');
  if (!absl::ConsumePrefix(&full, "/") || slash == absl::string_view::npos) return "other";
  const std::string dotted = absl::StrReplaceAll(full, {{"/", "."}});
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
  return method != nullptr ? method->name() : "other";
}

}  // namespace

absl::string_view VerifyResultOf(const v1::VerifyTokenResponse& answer) {
  if (answer.valid()) return "valid";
  if (answer.revoked()) return "revoked";
  if (answer.reason() == kReasonExpired) return "expired";
  if (answer.reason() == kReasonBadSignature) return "bad_signature";
  // Well signed, but no row of that user: Data.Rentgen's wording for it is "revoked".
  if (absl::EndsWith(answer.reason(), " is revoked")) return "unknown";
  return "invalid";
}

// One per RPC: counts it from creation (the call has arrived) to destruction
// (its status is sent), records its code and, for unary RPCs, its latency.
class AuthorityMetrics::Interceptor : public grpc::experimental::Interceptor {
 public:
  Interceptor(AuthorityMetrics* metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics),
        method_(MethodLabel(info->method())),
        unary_(info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY),
        watch_(method_ == kWatchMethod),
        start_(absl::Now()) {
    metrics_->RpcStarted(watch_);
  }
  ~Interceptor() override { metrics_->RpcEnded(watch_); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (method_ == kVerifyMethod &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      // The sync server hands interceptors the handler's own response object.
      if (const void* message = methods->GetSendMessage(); message != nullptr) {
        const auto* answer = static_cast<const v1::VerifyTokenResponse*>(message);
        metrics_->verify_results_->WithLabels({std::string(VerifyResultOf(*answer))})->Increment();
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto code = static_cast<absl::StatusCode>(methods->GetSendStatus().error_code());
      metrics_->rpcs_->WithLabels({method_, absl::StatusCodeToString(code)})->Increment();
      if (unary_)
        metrics_->latency_->WithLabels({method_})->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  AuthorityMetrics* const metrics_;
  const std::string method_;
  const bool unary_;
  const bool watch_;
  const absl::Time start_;
};

class AuthorityMetrics::Factory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(AuthorityMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(metrics_, info);
  }

 private:
  AuthorityMetrics* const metrics_;
};

AuthorityMetrics::AuthorityMetrics(MetricsRegistry* registry, AuthorityMetricsOptions options)
    : options_(std::move(options)),
      rpcs_(registry->AddCounter("tokengate_authority_rpcs_total", "RPCs answered, by method and gRPC code",
                                 {"method", "code"})),
      latency_(registry->AddHistogram("tokengate_authority_rpc_duration_seconds",
                                      "Unary RPCs from arrival to status, by method", {"method"},
                                      DefaultLatencyBoundsSeconds())),
      verify_results_(registry->AddCounter("tokengate_authority_verify_results_total",
                                           "VerifyToken answers, by result", {"result"})) {
  registry->AddCollector([this](MetricsWriter& out) { Collect(out); });
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
AuthorityMetrics::InterceptorFactory() {
  return std::make_unique<Factory>(this);
}

void AuthorityMetrics::RpcStarted(bool watch) {
  if (watch) watch_streams_.fetch_add(1);
  absl::MutexLock lock(&in_flight_mutex_);
  ++in_flight_;
}

void AuthorityMetrics::RpcEnded(bool watch) {
  if (watch) watch_streams_.fetch_sub(1);
  absl::MutexLock lock(&in_flight_mutex_);
  --in_flight_;
}

bool AuthorityMetrics::AwaitNoRpcInFlight(absl::Time deadline) {
  absl::MutexLock lock(&in_flight_mutex_);
  const auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(in_flight_mutex_) { return in_flight_ == 0; };
  return in_flight_mutex_.AwaitWithDeadline(absl::Condition(&none), deadline);
}

void AuthorityMetrics::Start() {
  refresher_.Start(options_.refresh_interval, [this] { Refresh(); });
}

void AuthorityMetrics::Stop() { refresher_.Stop(); }

void AuthorityMetrics::Refresh() {
  auto conn = options_.pool->Acquire();
  if (!conn.ok()) return;  // Counted as a database error; the last numbers stay.
  DatabaseGauges read;
  read.read = true;
  if (options_.audit_published) {
    auto audit = (*conn)->Exec(
        "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(at)), 0)::float8 "
        "FROM audit_event WHERE published_at IS NULL");
    if (!audit.ok()) return;
    read.audit_rows = audit->GetInt(0, 0);
    (void)absl::SimpleAtod(audit->Get(0, 1), &read.audit_oldest_seconds);
  }
  // The sequence, not max(position): pruning the log must not move the head back.
  auto head =
      (*conn)->Exec("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM revocation_log_position_seq");
  auto notices = (*conn)->Exec("SELECT channel, state, count(*) FROM token_notice GROUP BY 1, 2");
  if (!head.ok() || !notices.ok()) return;
  read.revocation_position = head->GetInt(0, 0);
  // Every pair from the start, at 0, so a first failure is a change a rule can see.
  for (const char* channel : kNoticeChannels) {
    for (const char* state : kNoticeStates) read.notices[{channel, state}] = 0;
  }
  for (int row = 0; row < notices->rows(); ++row) {
    read.notices[{std::string(notices->Get(row, 0)), std::string(notices->Get(row, 1))}] =
        notices->GetInt(row, 2);
  }
  absl::MutexLock lock(&gauges_mutex_);
  gauges_ = std::move(read);
}

void AuthorityMetrics::Collect(MetricsWriter& out) {
  out.SingleGauge("tokengate_authority_watch_streams", "WatchRevocations streams open",
                  watch_streams_.load());
  {
    absl::MutexLock lock(&in_flight_mutex_);
    out.SingleGauge("tokengate_authority_rpcs_in_flight", "RPCs arrived and not yet answered",
                    static_cast<double>(in_flight_));
  }
  out.SingleCounter("tokengate_authority_database_connection_errors_total",
                    "PostgreSQL connections that failed or were lost",
                    static_cast<double>(DatabaseUnavailableErrors()));
  out.Family("tokengate_authority_signing_key_info", "gauge",
             "The signing key ids accepted (1 each); newest=\"true\" signs new tokens");
  const auto& keys = options_.keys->keys();
  for (size_t i = 0; i < keys.size(); ++i) {
    out.Sample("tokengate_authority_signing_key_info",
               {{"kid", keys[i].kid}, {"newest", i == 0 ? "true" : "false"}}, 1);
  }
  out.Family("tokengate_build_info", "gauge", "The running release and the git revision it was built from");
  out.Sample("tokengate_build_info",
             {{"program", "token-authority"},
              {"version", std::string(Version())},
              {"revision", std::string(Revision())}},
             1);

  absl::MutexLock lock(&gauges_mutex_);
  if (!gauges_.read) return;
  if (options_.audit_published) {
    out.SingleGauge("tokengate_authority_audit_outbox_rows", "Audit records not yet published to Kafka",
                    static_cast<double>(gauges_.audit_rows));
    out.SingleGauge("tokengate_authority_audit_outbox_oldest_seconds",
                    "Age of the oldest audit record not yet published (0: none waiting)",
                    gauges_.audit_oldest_seconds);
  }
  out.SingleGauge("tokengate_authority_revocation_position",
                  "Position of the newest revocation logged (what edges' watch positions catch up to)",
                  static_cast<double>(gauges_.revocation_position));
  out.Family("tokengate_authority_notices", "gauge", "Owner notices in the outbox, by channel and state");
  for (const auto& [key, rows] : gauges_.notices) {
    out.Sample("tokengate_authority_notices", {{"channel", key.first}, {"state", key.second}},
               static_cast<double>(rows));
  }
}

}  // namespace tokengate
