// The edges' gRPC side of token verification: the channel to the authority
// (mutual TLS when configured), the VerifyToken backend of the VerifyCache, and
// a background follower of WatchRevocations. Nothing here caches or decides.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/verify/verify_cache.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate {

struct AuthorityChannelOptions {
  std::string address;  // "host:port", or replicas (see CheckAuthorityAddress).
  // No files: plaintext. Otherwise mutual TLS: `tls_ca_file` is the root that
  // must have signed the authority's certificate, and `tls_cert_file`/
  // `tls_key_file` are this client's identity (the authority's caller policy
  // reads its name).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
};

// A channel to the authority. It retries connecting after 80 ms, then with
// back-off capped at 700 ms (gRPC adds ±20 % jitter), so an authority that
// comes back is used within a second.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeAuthorityChannel(const AuthorityChannelOptions& options);

// VerifyToken with a deadline. Fails fast (no wait-for-ready): an authority
// that cannot be reached is an error the cache turns into kUnavailable.
class GrpcVerifyBackend final : public VerifyBackend {
 public:
  explicit GrpcVerifyBackend(std::shared_ptr<grpc::ChannelInterface> channel,
                             absl::Duration deadline = absl::Milliseconds(500));
  absl::StatusOr<v1::VerifyTokenResponse> Verify(const std::string& token,
                                                 const VerifyOrigin& origin) override;
  absl::StatusOr<v1::VerifyTokenResponse> Verify(const std::string& token) { return Verify(token, {}); }
  // A DeadUseReporter's batch, with the same deadline.
  absl::Status ReportTokenUses(const v1::ReportTokenUsesRequest& request);

 private:
  std::unique_ptr<v1::TokenAuthority::Stub> stub_;
  const absl::Duration deadline_;
};

struct RevocationWatcherOptions {
  // Pauses between streams double from the first to the cap; each is jittered
  // down to half, so many edges do not reconnect in step.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Milliseconds(500);
  // The authority heartbeats (every 5 s by default); a stream silent this long
  // is treated as dead and reopened. Must exceed the authority's heartbeat.
  absl::Duration idle_timeout = absl::Seconds(15);
};

// Follows WatchRevocations on a thread of its own and tells `cache` of every
// revoked token id. It remembers the position of the last event applied and
// resumes from there after a loss, so revocations made meanwhile are replayed;
// when the authority cannot replay (or the stream had no position to resume
// from) the cache drops every valid answer instead. A lost stream is reopened
// after a short jittered back-off; opening waits for the channel to connect.
class RevocationWatcher {
 public:
  RevocationWatcher(std::shared_ptr<grpc::ChannelInterface> channel, VerifyCache* cache,
                    RevocationWatcherOptions options = {});
  ~RevocationWatcher();  // Stops.
  RevocationWatcher(const RevocationWatcher&) = delete;
  RevocationWatcher& operator=(const RevocationWatcher&) = delete;

  void Start();
  // Cancels the open stream and joins the thread; returns promptly.
  void Stop();

  // True while a stream is open and the authority has spoken on it.
  bool Connected() const { return connected_.load(std::memory_order_relaxed); }
  // Streams opened after the first one (each one follows a loss).
  uint64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }
  // Revocation events received (heartbeats excluded).
  uint64_t revocations() const { return revocations_.load(std::memory_order_relaxed); }
  // Times the valid answers were dropped because the stream could not resume.
  uint64_t resets() const { return resets_.load(std::memory_order_relaxed); }
  // Position of the last event applied (0: none yet).
  int64_t position() const { return position_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // One stream from open to end; true if the authority sent anything on it.
  // `quiet`: a failure to open is not logged (the previous attempt's was).
  bool WatchOnce(bool quiet);

  // Applies one event to the cache and the resume point.
  void Apply(const v1::RevocationEvent& event, bool resumable);

  std::unique_ptr<v1::TokenAuthority::Stub> stub_;
  VerifyCache* const cache_;
  const RevocationWatcherOptions options_;
  std::string log_id_;  // Only the watcher thread touches it.

  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::ClientContext* open_context_ ABSL_GUARDED_BY(mutex_) = nullptr;
  std::thread thread_;

  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> streams_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> revocations_{0};
  std::atomic<uint64_t> resets_{0};
  std::atomic<int64_t> position_{0};
};

}  // namespace tokengate
