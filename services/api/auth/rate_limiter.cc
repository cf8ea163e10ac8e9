#include "services/api/auth/rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokengate {

absl::StatusOr<RateLimit> ParseRateLimit(const std::string& text) {
  const std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
  RateLimit limit;
  if (!absl::SimpleAtoi(parts.first, &limit.count) || limit.count < 1 || limit.count > 1000000) {
    return absl::InvalidArgumentError("expected <count>/<unit> with a count within 1..1000000, e.g. 10/min");
  }
  const std::string& unit = parts.second;
  if (unit == "s" || unit == "sec" || unit == "second") {
    limit.period = absl::Seconds(1);
  } else if (unit == "min" || unit == "minute") {
    limit.period = absl::Minutes(1);
  } else if (unit == "h" || unit == "hour") {
    limit.period = absl::Hours(1);
  } else {
    return absl::InvalidArgumentError("the unit must be s, min or h, e.g. 10/min");
  }
  return limit;
}

std::string RateLimitKey(const std::string& address) {
  in6_addr ip6{};
  if (inet_pton(AF_INET6, address.c_str(), &ip6) != 1) return address;
  if (IN6_IS_ADDR_V4MAPPED(&ip6)) {
    char ip4[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &ip6.s6_addr[12], ip4, sizeof(ip4));
    return ip4;
  }
  std::fill(ip6.s6_addr + 8, ip6.s6_addr + 16, 0);
  char prefix[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &ip6, prefix, sizeof(prefix));
  return absl::StrCat(prefix, "/64");
}

double RateLimiter::Refilled(const Bucket& bucket, absl::Time now) const {
  const double per_second = limit_.count / absl::ToDoubleSeconds(limit_.period);
  const double gained = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated)) * per_second;
  return std::min<double>(limit_.count, bucket.tokens + gained);
}

std::optional<absl::Duration> RateLimiter::Admit(const std::string& address) {
  const std::string key = RateLimitKey(address);
  const absl::Time now = clock_->Now();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      buckets_.erase(recency_.back());
      recency_.pop_back();
    }
    recency_.push_front(key);
    it = buckets_
             .emplace(key, Bucket{.tokens = static_cast<double>(limit_.count),
                                  .updated = now,
                                  .recency = recency_.begin()})
             .first;
  } else {
    recency_.splice(recency_.begin(), recency_, it->second.recency);
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const double per_second = limit_.count / absl::ToDoubleSeconds(limit_.period);
  return absl::Seconds((1.0 - bucket.tokens) / per_second);
}

}  // namespace tokengate
