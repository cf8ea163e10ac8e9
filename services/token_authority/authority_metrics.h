// The token authority's Prometheus metrics (docs/metrics.md): per-RPC counts
// and latency from a gRPC server interceptor (so no RPC handler records
// anything itself), Verify answers by result, open watch streams, the RPCs in
// flight (which the shutdown waits for), and gauges read from PostgreSQL every
// few seconds (audit and notice outboxes, the revocation log's head), so every
// replica reports the same shared truth. Labels hold method names, codes,
// fixed words and key ids only: never token content, user names or key material.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/metrics.h"
#include "common/base/periodic_task.h"
#include "common/pg/postgres.h"
#include "common/token/signing_keys.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

// What a Verify answer says, as the `result` label: valid, expired, revoked,
// bad_signature, unknown (well signed, but no such token of that user) or
// invalid (malformed, wrong issuer or algorithm, not yet valid, disabled).
absl::string_view VerifyResultOf(const v1::VerifyTokenResponse& answer);

struct AuthorityMetricsOptions {
  std::shared_ptr<PgPool> pool;
  const SigningKeyring* keys = nullptr;
  // Only then is the audit table an outbox (else records stay there by design).
  bool audit_published = false;
  absl::Duration refresh_interval = absl::Seconds(5);
};

class AuthorityMetrics {
 public:
  AuthorityMetrics(MetricsRegistry* registry, AuthorityMetricsOptions options);

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();
  // Starts and stops the PostgreSQL gauge refresher.
  void Start();
  void Stop();
  // Waits until no RPC is in flight or `deadline` passes; true when none is.
  bool AwaitNoRpcInFlight(absl::Time deadline);

 private:
  class Interceptor;
  class Factory;

  // Outbox and log numbers as last read; absent before the first read.
  struct DatabaseGauges {
    bool read = false;
    int64_t audit_rows = 0;
    double audit_oldest_seconds = 0;
    int64_t revocation_position = 0;
    std::map<std::pair<std::string, std::string>, int64_t> notices;  // (channel, state) → rows
  };

  void RpcStarted(bool watch);
  void RpcEnded(bool watch);
  void Refresh();
  void Collect(MetricsWriter& out);

  const AuthorityMetricsOptions options_;
  CounterFamily* rpcs_;
  HistogramFamily* latency_;
  CounterFamily* verify_results_;
  std::atomic<int64_t> watch_streams_{0};
  absl::Mutex in_flight_mutex_;
  int64_t in_flight_ ABSL_GUARDED_BY(in_flight_mutex_) = 0;
  absl::Mutex gauges_mutex_;
  DatabaseGauges gauges_ ABSL_GUARDED_BY(gauges_mutex_);
  PeriodicTask refresher_;  // Last: stopped before the members it uses go.
};

}  // namespace tokengate
