#include "common/config/verify_client_config.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, authority_address, "127.0.0.1:50051", "token authority gRPC address");
ABSL_FLAG(int, verify_deadline_ms, 500, "deadline of a VerifyToken RPC");
ABSL_FLAG(int, verify_cache_ttl_seconds, 60, "longest time a valid answer is cached");
ABSL_FLAG(int, verify_negative_ttl_seconds, 5, "longest time an invalid answer is cached");
ABSL_FLAG(int, verify_cache_size, 100000, "most answers held by the verify cache");
ABSL_FLAG(bool, revocation_watch_enabled, true, "follow the authority's revocation stream");

namespace tokengate {

const FlagList& VerifyClientFlags() {
  static const FlagList kFlags = {
      {FLAGS_authority_address},
      {FLAGS_verify_deadline_ms, 10, 60000},
      {FLAGS_verify_cache_ttl_seconds, 0, 3600},
      {FLAGS_verify_negative_ttl_seconds, 0, 3600},
      {FLAGS_verify_cache_size, 1, 100000000},
      {FLAGS_revocation_watch_enabled},
  };
  return kFlags;
}

void VerifyClientConfig::ApplyTo(AuthorityChannelOptions& options) const {
  options.address = authority_address;
}

void VerifyClientConfig::ApplyTo(VerifyCacheOptions& options) const {
  options.max_entries = static_cast<size_t>(cache_size);
  options.max_ttl = cache_ttl;
  options.negative_ttl = negative_ttl;
}

absl::StatusOr<VerifyClientConfig> VerifyClientConfigFromFlags() {
  const std::string address = absl::GetFlag(FLAGS_authority_address);
  if (absl::Status checked = CheckAuthorityAddress(address); !checked.ok()) {
    return BadFlag(FLAGS_authority_address, checked.message());
  }
  if (absl::Status ranges = CheckRanges(VerifyClientFlags()); !ranges.ok()) return ranges;
  return VerifyClientConfig{.authority_address = address,
                            .deadline = absl::Milliseconds(absl::GetFlag(FLAGS_verify_deadline_ms)),
                            .cache_ttl = absl::Seconds(absl::GetFlag(FLAGS_verify_cache_ttl_seconds)),
                            .negative_ttl = absl::Seconds(absl::GetFlag(FLAGS_verify_negative_ttl_seconds)),
                            .cache_size = absl::GetFlag(FLAGS_verify_cache_size),
                            .revocation_watch_enabled = absl::GetFlag(FLAGS_revocation_watch_enabled)};
}

}  // namespace tokengate
