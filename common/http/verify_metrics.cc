#include "common/http/verify_metrics.h"

#include <vector>

namespace tokengate {

void AddVerifyMetrics(MetricsRegistry& registry, const VerifyCache* cache, const RevocationWatcher* watcher) {
  registry.AddCollector([cache, watcher](MetricsWriter& out) {
    const VerifyCacheStats s = cache->stats();
    out.SingleCounter("tokengate_verify_cache_hits_total", "Bearer checks answered from the cache",
                      static_cast<double>(s.hits));
    out.SingleCounter("tokengate_verify_cache_misses_total", "Bearer checks the cache could not answer",
                      static_cast<double>(s.misses));
    out.SingleCounter("tokengate_verify_cache_evictions_total", "Answers dropped to respect the size bound",
                      static_cast<double>(s.evictions));
    out.SingleCounter("tokengate_verify_coalesced_total",
                      "Misses that waited for another request's VerifyToken RPC",
                      static_cast<double>(s.coalesced));
    out.SingleCounter("tokengate_verify_rpcs_total", "VerifyToken RPCs made", static_cast<double>(s.rpcs));
    out.SingleCounter("tokengate_verify_rpc_errors_total",
                      "VerifyToken RPCs that failed (authority unreachable, deadline…)",
                      static_cast<double>(s.rpc_errors));
    out.SingleCounter("tokengate_verify_revocations_total", "Token ids learned to be revoked",
                      static_cast<double>(s.revocations));
    out.SingleGauge("tokengate_verify_cache_entries", "Answers held by the verify cache",
                    static_cast<double>(s.entries));
    out.SingleGauge("tokengate_verify_revoked_ids", "Revoked token ids remembered (until their exp)",
                    static_cast<double>(s.revoked_ids));
    out.SingleCounter("tokengate_verify_cache_resets_total",
                      "Times every cached valid answer was dropped (revocations may have been missed)",
                      static_cast<double>(s.resets));
    out.Family("tokengate_verify_rpc_duration_seconds", "histogram", "VerifyToken RPC latency");
    const std::vector<double> bounds(VerifyCacheStats::kRpcLatencyBoundsSeconds.begin(),
                                     VerifyCacheStats::kRpcLatencyBoundsSeconds.end());
    const std::vector<uint64_t> buckets(s.rpc_latency_buckets.begin(), s.rpc_latency_buckets.end());
    out.HistogramSamples("tokengate_verify_rpc_duration_seconds", {}, bounds, buckets, s.rpcs,
                         s.rpc_latency_sum_seconds);
    if (watcher != nullptr) {
      out.SingleGauge("tokengate_revocation_watch_connected", "1 while the WatchRevocations stream is open",
                      watcher->Connected() ? 1 : 0);
      out.SingleCounter("tokengate_revocation_watch_reconnects_total",
                        "WatchRevocations streams reopened after a loss",
                        static_cast<double>(watcher->reconnects()));
      out.SingleCounter("tokengate_revocation_watch_resets_total",
                        "Streams the authority could not resume (cached valid answers dropped)",
                        static_cast<double>(watcher->resets()));
      out.SingleGauge("tokengate_revocation_watch_position",
                      "Position of the last revocation event applied (the resume point)",
                      static_cast<double>(watcher->position()));
    }
  });
}

void AddDeadUseMetrics(MetricsRegistry& registry, const DeadUseReporter* reporter) {
  registry.AddCollector([reporter](MetricsWriter& out) {
    out.SingleCounter("tokengate_dead_token_use_batches_total",
                      "ReportTokenUses batches sent to the authority (at most one per second)",
                      static_cast<double>(reporter->batches()));
    out.SingleCounter("tokengate_dead_token_uses_reported_total",
                      "Uses of dead tokens reported (one per token, address and user agent per hour)",
                      static_cast<double>(reporter->uses_sent()));
    out.SingleCounter("tokengate_dead_token_uses_dropped_total",
                      "Uses of dead tokens not reported: too many waiting while the authority was away",
                      static_cast<double>(reporter->uses_dropped()));
  });
}

}  // namespace tokengate
