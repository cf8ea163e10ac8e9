// How an edge (api, http2kafka) verifies tokens: the authority's address, the
// VerifyToken deadline, the answer cache's TTLs and size, and whether the
// revocation stream is followed. Their flags are defined here once. It reads
// no flag outside this block; whether the cache is on at all is the api's own
// setting (http2kafka always caches).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "common/verify/verify_cache.h"
#include "common/verify/verify_client.h"

namespace tokengate {

struct VerifyClientConfig {
  std::string authority_address = "127.0.0.1:50051";
  absl::Duration deadline = absl::Milliseconds(500);  // Of a VerifyToken RPC.
  absl::Duration cache_ttl = absl::Seconds(60);       // Upper bound on the authority's TTL.
  absl::Duration negative_ttl = absl::Seconds(5);
  int cache_size = 100000;
  // Follow WatchRevocations; off only to show that the TTL alone bounds revocation.
  bool revocation_watch_enabled = true;

  // The address (the TLS files come from TlsClientConfig).
  void ApplyTo(AuthorityChannelOptions& options) const;
  // Size and TTLs.
  void ApplyTo(VerifyCacheOptions& options) const;
};

const FlagList& VerifyClientFlags();
// From the parsed flags; an error names the bad setting.
absl::StatusOr<VerifyClientConfig> VerifyClientConfigFromFlags();

}  // namespace tokengate
