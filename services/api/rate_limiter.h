// A token bucket per key (the client address): `count` requests per
// `period`, refilled continuously, bursts up to `count`. Bounded memory:
// buckets that refilled are forgotten when the table fills up. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tokengate {

struct RateLimit {
  int count = 10;
  absl::Duration period = absl::Minutes(1);
};

// "10/min" → {10, 1 min}; units s|sec|second, min|minute, h|hour; count 1..1000000.
absl::StatusOr<RateLimit> ParseRateLimit(const std::string& text);

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, const Clock* clock, size_t max_keys = 100000)
      : limit_(limit), clock_(clock), max_keys_(max_keys) {}

  // nullopt: admitted (one token taken). Else how long until one is there.
  std::optional<absl::Duration> Admit(const std::string& key);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  double Refilled(const Bucket& bucket, absl::Time now) const;
  void ForgetFullBuckets(absl::Time now);

  const RateLimit limit_;
  const Clock* clock_;
  const size_t max_keys_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_;  // Guarded by mutex_.
};

}  // namespace tokengate
