// A token bucket per client: `count` requests per `period`, refilled
// continuously, bursts up to `count`. A client is its address, an IPv6 one
// its /64 (one host is commonly given a whole /64). Bounded memory: when the
// table is full the least recently used bucket goes, never all at once (which
// would hand every drained client a full bucket). Thread-safe.
#pragma once

#include <list>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/clock.h"

namespace tokengate {

struct RateLimit {
  int count = 10;
  absl::Duration period = absl::Minutes(1);
};

// "10/min" → {10, 1 min}; units s|sec|second, min|minute, h|hour; count 1..1000000.
absl::StatusOr<RateLimit> ParseRateLimit(const std::string& text);

// The bucket key of a client address: an IPv6 address (an IPv4-mapped one
// is IPv4) by its first 64 bits, "2001:db8:1:2::/64"; anything else as it is.
std::string RateLimitKey(const std::string& address);

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, const Clock* clock, size_t max_keys = 100000)
      : limit_(limit), clock_(clock), max_keys_(max_keys) {}

  // nullopt: admitted (one token taken). Else how long until one is there.
  // `address`: the client's, keyed by RateLimitKey.
  std::optional<absl::Duration> Admit(const std::string& address);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
    std::list<std::string>::iterator recency;  // Its key's place in recency_.
  };
  double Refilled(const Bucket& bucket, absl::Time now) const;

  const RateLimit limit_;
  const Clock* clock_;
  const size_t max_keys_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
  std::list<std::string> recency_ ABSL_GUARDED_BY(mutex_);  // Keys, most recently used first.
};

}  // namespace tokengate
