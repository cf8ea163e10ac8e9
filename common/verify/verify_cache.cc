#include "common/verify/verify_cache.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/field_error.h"
#include "common/token/token_codec.h"

namespace tokengate {

bool Principal::HasScope(absl::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string UnavailableMessage(const VerifyResult& result) {
  return result.database_down ? "The token database is unavailable, retry later"
                              : "Token authority is unavailable, retry later";
}

namespace {

// SHA-256 of the token: the only form in which a token is kept.
using Key = std::array<unsigned char, 32>;

// OpenSSL 3 looks the algorithm up on every one-shot call (a global lock);
// fetching it once and keeping a context per thread keeps hashing lock-free.
bool HashToken(absl::string_view token, Key* key) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                               &EVP_MD_CTX_free);
  unsigned int length = 0;
  return sha256 != nullptr && context != nullptr && EVP_DigestInit_ex2(context.get(), sha256, nullptr) == 1 &&
         EVP_DigestUpdate(context.get(), token.data(), token.size()) == 1 &&
         EVP_DigestFinal_ex(context.get(), key->data(), &length) == 1 && length == key->size();
}

VerifyResult Invalid(std::string reason, std::string dead_token_id = "") {
  VerifyResult result;
  result.outcome = VerifyOutcome::kInvalid;
  result.reason = std::move(reason);
  result.dead_token_id = std::move(dead_token_id);
  return result;
}

using Answer = std::shared_ptr<const VerifyResult>;

struct Entry {
  Answer answer;
  absl::Time expires;
  std::list<Key>::iterator lru;
};

// How often the revoked ids are swept for expired tokens.
constexpr absl::Duration kRevokedSweepInterval = absl::Minutes(1);

struct RevokedId {
  std::string reason;
  absl::Time forget_at;
};

// Concurrent misses for one key wait here for the first one's RPC.
struct Flight {
  absl::Mutex mutex;
  bool done ABSL_GUARDED_BY(mutex) = false;
  VerifyResult result ABSL_GUARDED_BY(mutex);
};

struct alignas(64) Shard {
  absl::Mutex mutex;
  size_t capacity = 0;
  absl::flat_hash_map<Key, Entry> entries ABSL_GUARDED_BY(mutex);
  std::list<Key> lru ABSL_GUARDED_BY(mutex);  // Most recently used first.
  // Valid entries by token id, so a revocation finds them without a scan.
  absl::flat_hash_map<std::string, std::vector<Key>> valid_by_token_id ABSL_GUARDED_BY(mutex);
  absl::flat_hash_map<Key, std::shared_ptr<Flight>> flights ABSL_GUARDED_BY(mutex);
};

}  // namespace

class VerifyCache::Impl {
 public:
  Impl(VerifyCacheOptions options, VerifyBackend* backend, const Clock* clock, DeadUseReporter* dead_uses)
      : options_(options), backend_(backend), clock_(clock), dead_uses_(dead_uses) {
    // Per-shard bounds add up to exactly max_entries.
    const size_t shard_count = std::clamp<size_t>(options_.shards > 0 ? options_.shards : 1, 1,
                                                  std::max<size_t>(options_.max_entries, 1));
    shards_ = std::make_unique<Shard[]>(shard_count);
    shard_count_ = shard_count;
    for (size_t i = 0; i < shard_count; ++i) {
      shards_[i].capacity = options_.max_entries / shard_count + (i < options_.max_entries % shard_count);
    }
  }

  VerifyResult Verify(absl::string_view token, absl::FunctionRef<VerifyOrigin()> origin) {
    VerifyResult result = Decide(token, origin);
    if (dead_uses_ != nullptr && !result.dead_token_id.empty()) {
      const VerifyOrigin from = origin();
      dead_uses_->Record(result.dead_token_id, from.client_address, from.user_agent);
    }
    return result;
  }

  VerifyResult Decide(absl::string_view token, absl::FunctionRef<VerifyOrigin()> origin) {
    if (!options_.enabled) {
      misses_++;
      absl::Duration unused_ttl;
      return AskBackend(token, origin(), &unused_ttl);
    }
    Key key;
    if (!HashToken(token, &key)) {
      VerifyResult result;
      result.reason = "cannot hash the token";
      return result;
    }
    Shard& shard = ShardFor(key);
    Answer cached;
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      absl::MutexLock lock(&shard.mutex);
      if (auto it = shard.entries.find(key); it != shard.entries.end()) {
        if (clock_->Now() < it->second.expires) {
          shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
          cached = it->second.answer;
        } else {
          EraseLocked(shard, it);
        }
      }
      if (cached == nullptr) {
        auto [it, inserted] = shard.flights.try_emplace(key);
        if (inserted) it->second = std::make_shared<Flight>();
        flight = it->second;
        leader = inserted;
      }
    }
    if (cached != nullptr) {
      hits_++;
      VerifyResult result = *cached;
      result.from_cache = true;
      return result;
    }
    misses_++;
    if (!leader) {
      coalesced_++;
      absl::MutexLock lock(&flight->mutex);
      flight->mutex.Await(absl::Condition(&flight->done));
      return flight->result;
    }
    VerifyResult result = Lead(token, origin(), key, shard);
    absl::MutexLock lock(&flight->mutex);
    flight->result = result;
    flight->done = true;
    return result;
  }

  void OnRevoked(const std::string& token_id, int64_t expires_at_unix) {
    if (token_id.empty()) return;
    revocations_++;
    // The stream names no token: the reason is made from a cached answer's name.
    RememberRevoked(token_id, "", expires_at_unix);
    // Turned into an invalid answer rather than dropped, so the next request
    // with this token is refused without asking the authority.
    for (size_t i = 0; i < shard_count_; ++i) {
      Shard& shard = shards_[i];
      absl::MutexLock lock(&shard.mutex);
      auto it = shard.valid_by_token_id.find(token_id);
      if (it == shard.valid_by_token_id.end()) continue;
      for (const Key& key : it->second) {
        Answer& answer = shard.entries.at(key).answer;
        answer = std::make_shared<const VerifyResult>(
            Invalid(RevokedTokenReason(answer->principal.token_name, token_id), token_id));
      }
      shard.valid_by_token_id.erase(it);
    }
  }

  void DropValid() {
    resets_++;
    for (size_t i = 0; i < shard_count_; ++i) {
      Shard& shard = shards_[i];
      absl::MutexLock lock(&shard.mutex);
      std::vector<Key> valid;
      for (const auto& [token_id, keys] : shard.valid_by_token_id)
        valid.insert(valid.end(), keys.begin(), keys.end());
      for (const Key& key : valid) {
        if (auto it = shard.entries.find(key); it != shard.entries.end()) EraseLocked(shard, it);
      }
    }
  }

  VerifyCacheStats stats() const {
    VerifyCacheStats stats;
    stats.hits = hits_.load();
    stats.misses = misses_.load();
    stats.evictions = evictions_.load();
    stats.rpcs = rpcs_.load();
    stats.rpc_errors = rpc_errors_.load();
    stats.revocations = revocations_.load();
    stats.coalesced = coalesced_.load();
    stats.entries = entries_.load();
    stats.resets = resets_.load();
    {
      absl::MutexLock lock(&revoked_mutex_);
      stats.revoked_ids = revoked_.size();
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < stats.rpc_latency_buckets.size(); ++i) {
      cumulative += latency_counts_[i].load();
      stats.rpc_latency_buckets[i] = cumulative;
    }
    stats.rpc_latency_sum_seconds = static_cast<double>(latency_sum_us_.load()) / 1e6;
    return stats;
  }

 private:
  Shard& ShardFor(const Key& key) {
    uint64_t prefix;
    std::memcpy(&prefix, key.data(), sizeof(prefix));
    return shards_[prefix % shard_count_];
  }

  // The single-flight leader: one RPC, then the answer goes into the cache
  // and the flight is retired in one step, so a newcomer sees either.
  VerifyResult Lead(absl::string_view token, const VerifyOrigin& origin, const Key& key, Shard& shard) {
    absl::Duration ttl;
    VerifyResult result = AskBackend(token, origin, &ttl);
    absl::MutexLock lock(&shard.mutex);
    if (result.outcome == VerifyOutcome::kValid) {
      // A revocation may have arrived while the RPC was in flight, or a
      // lagging authority replica may not know it yet: the edge remembers.
      if (auto reason = RevokedReasonOf(result.principal.token_id)) {
        result = Invalid(reason->empty()
                             ? RevokedTokenReason(result.principal.token_name, result.principal.token_id)
                             : *std::move(reason),
                         result.principal.token_id);
        ttl = std::min(ttl, options_.negative_ttl);
      }
    }
    if (ttl > absl::ZeroDuration()) {
      InsertLocked(shard, key, std::make_shared<const VerifyResult>(result), clock_->Now() + ttl);
    }
    shard.flights.erase(key);
    return result;
  }

  // The backend's answer, and how long it may be cached (zero: not at all).
  VerifyResult AskBackend(absl::string_view token, const VerifyOrigin& origin, absl::Duration* ttl) {
    *ttl = absl::ZeroDuration();
    const auto started = std::chrono::steady_clock::now();
    auto response = backend_->Verify(std::string(token), origin);
    RecordLatency(std::chrono::steady_clock::now() - started);
    rpcs_++;
    VerifyResult result;
    if (!response.ok()) {
      rpc_errors_++;
      result.database_down = PayloadOf(response.status(), kCodePayload) == kDatabaseUnavailableCode;
      result.reason = absl::StrCat("token authority unavailable: ", response.status().message());
      return result;
    }
    const absl::Time now = clock_->Now();
    const absl::Duration answer_ttl = absl::Seconds(response->cache_ttl_seconds());
    if (!response->valid()) {
      result = Invalid(response->reason().empty() ? "Invalid token" : response->reason());
      if (response->revoked() && !response->token_id().empty()) {
        result.reason = RememberRevoked(response->token_id(), result.reason, response->expires_at_unix());
      }
      if ((response->revoked() || response->expired()) && !response->token_id().empty()) {
        result.dead_token_id = response->token_id();
      }
      *ttl = std::min(answer_ttl, options_.negative_ttl);
      return result;
    }
    result.outcome = VerifyOutcome::kValid;
    Principal& principal = result.principal;
    principal.token_id = response->token_id();
    principal.token_name = response->token_name();
    principal.user_id = response->user_id();
    principal.user_name = response->user_name();
    principal.scopes.assign(response->scopes().begin(), response->scopes().end());
    principal.expires_at_unix = response->expires_at_unix();
    principal.limits = TokenRestrictions({response->namespaces().begin(), response->namespaces().end()},
                                         {response->networks().begin(), response->networks().end()});
    // Without an expiry there is no bound to respect, so such an answer is not kept.
    if (principal.expires_at_unix > 0) {
      *ttl = std::min({answer_ttl, options_.max_ttl, absl::FromUnixSeconds(principal.expires_at_unix) - now});
      // In its rotation grace: the old content dies at grace_until here too,
      // whatever TTL a (lagging) authority replica gave.
      if (response->grace_until_unix() > 0) {
        *ttl = std::min(*ttl, absl::FromUnixSeconds(response->grace_until_unix()) - now);
      }
    }
    return result;
  }

  // Adds `token_id` to the revoked ids until its token expires; returns the
  // reason kept for it (the first one known, so an id keeps one story; ""
  // while only the stream has named the id, which carries no token name).
  std::string RememberRevoked(const std::string& token_id, const std::string& reason,
                              int64_t expires_at_unix) {
    const absl::Time now = clock_->Now();
    const absl::Time forget_at =
        expires_at_unix > 0 ? absl::FromUnixSeconds(expires_at_unix) : now + kUnknownExpiryMemory;
    absl::MutexLock lock(&revoked_mutex_);
    SweepRevokedLocked(now);
    auto [it, inserted] = revoked_.try_emplace(token_id, RevokedId{reason, forget_at});
    if (!inserted && it->second.reason.empty()) it->second.reason = reason;
    // A known exp is better than the guess made for an unknown one.
    if (!inserted && expires_at_unix > 0) it->second.forget_at = forget_at;
    return it->second.reason;
  }

  // Expired tokens are refused by every check anyway; their ids need no memory.
  void SweepRevokedLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(revoked_mutex_) {
    if (now < next_sweep_) return;
    next_sweep_ = now + kRevokedSweepInterval;
    for (auto it = revoked_.begin(); it != revoked_.end();) {
      if (it->second.forget_at <= now) {
        revoked_.erase(it++);
      } else {
        ++it;
      }
    }
  }

  std::optional<std::string> RevokedReasonOf(const std::string& token_id) {
    absl::MutexLock lock(&revoked_mutex_);
    auto it = revoked_.find(token_id);
    if (it == revoked_.end()) return std::nullopt;
    return it->second.reason;
  }

  void InsertLocked(Shard& shard, const Key& key, Answer answer, absl::Time expires)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex) {
    if (shard.capacity == 0) return;
    if (auto it = shard.entries.find(key); it != shard.entries.end()) EraseLocked(shard, it);
    while (shard.entries.size() >= shard.capacity) {
      EraseLocked(shard, shard.entries.find(shard.lru.back()));
      evictions_++;
    }
    if (answer->outcome == VerifyOutcome::kValid) {
      shard.valid_by_token_id[answer->principal.token_id].push_back(key);
    }
    shard.lru.push_front(key);
    shard.entries.emplace(key, Entry{std::move(answer), expires, shard.lru.begin()});
    entries_++;
  }

  void EraseLocked(Shard& shard, absl::flat_hash_map<Key, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex) {
    const VerifyResult& answer = *it->second.answer;
    if (answer.outcome == VerifyOutcome::kValid) {
      auto by_id = shard.valid_by_token_id.find(answer.principal.token_id);
      if (by_id != shard.valid_by_token_id.end()) {
        auto& keys = by_id->second;
        keys.erase(std::remove(keys.begin(), keys.end(), it->first), keys.end());
        if (keys.empty()) shard.valid_by_token_id.erase(by_id);
      }
    }
    shard.lru.erase(it->second.lru);
    shard.entries.erase(it);
    entries_--;
  }

  void RecordLatency(std::chrono::steady_clock::duration elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    const auto& bounds = VerifyCacheStats::kRpcLatencyBoundsSeconds;
    const size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
    if (bucket < latency_counts_.size()) latency_counts_[bucket]++;
    latency_sum_us_ += std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  }

  const VerifyCacheOptions options_;
  VerifyBackend* const backend_;
  const Clock* const clock_;
  DeadUseReporter* const dead_uses_;
  std::unique_ptr<Shard[]> shards_;
  size_t shard_count_ = 0;

  // A revoked id stays revoked, whatever a lagging replica says, until its
  // token's exp (swept at most once per kRevokedSweepInterval).
  mutable absl::Mutex revoked_mutex_;
  absl::flat_hash_map<std::string, RevokedId> revoked_ ABSL_GUARDED_BY(revoked_mutex_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(revoked_mutex_) = absl::InfinitePast();

  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> evictions_{0};
  std::atomic<uint64_t> rpcs_{0};
  std::atomic<uint64_t> rpc_errors_{0};
  std::atomic<uint64_t> revocations_{0};
  std::atomic<uint64_t> coalesced_{0};
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> resets_{0};
  std::array<std::atomic<uint64_t>, VerifyCacheStats::kRpcLatencyBoundsSeconds.size()> latency_counts_{};
  std::atomic<uint64_t> latency_sum_us_{0};
};

VerifyCache::VerifyCache(VerifyCacheOptions options, VerifyBackend* backend, const Clock* clock,
                         DeadUseReporter* dead_uses)
    : impl_(std::make_unique<Impl>(options, backend, clock, dead_uses)) {}

VerifyCache::~VerifyCache() = default;

VerifyResult VerifyCache::Verify(absl::string_view token) {
  return impl_->Verify(token, [] { return VerifyOrigin{}; });
}

VerifyResult VerifyCache::Verify(absl::string_view token, absl::FunctionRef<VerifyOrigin()> origin) {
  return impl_->Verify(token, origin);
}

void VerifyCache::OnRevoked(const std::string& token_id, int64_t expires_at_unix) {
  impl_->OnRevoked(token_id, expires_at_unix);
}

void VerifyCache::DropValid() { impl_->DropValid(); }

VerifyCacheStats VerifyCache::stats() const { return impl_->stats(); }

}  // namespace tokengate
