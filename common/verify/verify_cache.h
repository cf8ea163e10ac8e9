// The edges' view of token verification (docs/design.md §7): every bearer request asks
// a VerifyCache, which answers from memory or makes ONE VerifyToken RPC per
// token (single-flight), keyed by a SHA-256 of the token so the token itself
// is never stored. Valid answers live min(cache_ttl, exp - now); invalid ones
// a short negative TTL; revoked token ids are remembered until the token's exp.
// "Could not ask" (authority unreachable) is kept apart from "invalid": it
// yields kUnavailable, which the edges turn into 503, never into "allow".
// A valid answer for a token in its rotation grace lives no longer than the
// grace. Every presentation of a token known dead (revoked or expired, from
// an answer or from memory) goes to the DeadUseReporter, when there is one.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/token/token_limits.h"
#include "common/verify/dead_use_reporter.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

// Who a valid token speaks for.
struct Principal {
  std::string token_id;
  std::string token_name;  // Names the token in a later "is revoked" answer.
  int64_t user_id = 0;
  std::string user_name;
  std::vector<std::string> scopes;
  int64_t expires_at_unix = 0;
  // Namespaces and networks from the token row, parsed once per answer.
  TokenRestrictions limits;

  bool HasScope(absl::string_view scope) const;
};

enum class VerifyOutcome { kValid, kInvalid, kUnavailable };

struct VerifyResult {
  VerifyOutcome outcome = VerifyOutcome::kUnavailable;
  std::string reason;   // For kInvalid: the authority's reason; safe to show.
  Principal principal;  // For kValid.
  bool from_cache = false;
  // For kUnavailable: the authority answered, but its database is down.
  bool database_down = false;
  // For kInvalid: the token's id when it is known dead (revoked, refreshed
  // away, expired); its uses are reported.
  std::string dead_token_id;
};

// The 503 message for a kUnavailable result: names the part that is down.
std::string UnavailableMessage(const VerifyResult& result);

// Where a bearer request came from. Sent with VerifyToken on a miss: the
// authority records a token's first and last use with it.
struct VerifyOrigin {
  std::string client_address;
  std::string user_agent;
};

// What the cache asks on a miss: the authority's VerifyToken (verify_client.h).
class VerifyBackend {
 public:
  virtual ~VerifyBackend() = default;
  // A transport failure (UNAVAILABLE, DEADLINE_EXCEEDED…) is an error; an
  // invalid token is a response with valid=false.
  virtual absl::StatusOr<v1::VerifyTokenResponse> Verify(const std::string& token,
                                                         const VerifyOrigin& origin) = 0;
};

struct VerifyCacheOptions {
  size_t max_entries = 100000;  // LRU bound, over all shards.
  int shards = 16;
  absl::Duration max_ttl = absl::Seconds(60);      // Upper bound on the authority's cache_ttl.
  absl::Duration negative_ttl = absl::Seconds(5);  // Upper bound for invalid answers.
  bool enabled = true;                             // false: every request is an RPC (for benchmarks).
};

struct VerifyCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t rpcs = 0;
  uint64_t rpc_errors = 0;
  uint64_t revocations = 0;
  uint64_t coalesced = 0;    // Misses that waited for another request's RPC (single-flight).
  uint64_t entries = 0;      // Answers held now.
  uint64_t revoked_ids = 0;  // Revoked token ids remembered now.
  uint64_t resets = 0;       // Times every valid answer was dropped (DropValid).
  // VerifyToken RPC latency as a Prometheus histogram: rpc_latency_buckets[i]
  // counts RPCs that took at most kRpcLatencyBoundsSeconds[i] (cumulative);
  // the +Inf bucket is `rpcs`.
  static constexpr std::array<double, 11> kRpcLatencyBoundsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
  std::array<uint64_t, kRpcLatencyBoundsSeconds.size()> rpc_latency_buckets{};
  double rpc_latency_sum_seconds = 0;
};

inline constexpr absl::Duration kUnknownExpiryMemory = absl::Hours(24);

class VerifyCache {
 public:
  // `dead_uses` (may be null) is told of every presentation of a dead token.
  VerifyCache(VerifyCacheOptions options, VerifyBackend* backend, const Clock* clock,
              DeadUseReporter* dead_uses = nullptr);
  ~VerifyCache();

  VerifyResult Verify(absl::string_view token);
  // `origin` is called only when the authority is asked (a miss), so hits
  // build nothing.
  VerifyResult Verify(absl::string_view token, absl::FunctionRef<VerifyOrigin()> origin);
  // From WatchRevocations: the token id is invalid from now on, on this edge.
  // It is remembered until `expires_at_unix` (the token's exp; 0: unknown,
  // then for kUnknownExpiryMemory), after which no cache could serve it anyway.
  void OnRevoked(const std::string& token_id, int64_t expires_at_unix = 0);
  // Revocations may have been missed: forget every valid answer, so each
  // token is asked about again. Invalid answers and revoked ids stay.
  void DropValid();
  VerifyCacheStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokengate
