// The settings both HTTP edges (api, http2kafka) share with the same default
// and meaning: connection timeouts, the proxies whose X-Forwarded-For is
// believed, the Retry-After of 503s and the Swagger UI folder. Their flags are
// defined here once. What differs between the edges (listen address, threads,
// body limit, shutdown grace, http2kafka's receiving budget) stays in each
// edge's own config; this block reads no flag outside itself.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "common/http/client_address.h"
#include "common/http/http_server.h"

namespace tokengate {

struct HttpEdgeConfig {
  absl::Duration idle_timeout = absl::Seconds(60);    // Keep-alive connection with nothing to do.
  absl::Duration header_timeout = absl::Seconds(10);  // First byte to end of a request head.
  absl::Duration write_timeout = absl::Seconds(30);   // A peer that takes none of its answer is dropped.
  // Peers whose X-Forwarded-For is believed for the client address.
  TrustedProxies trusted_proxies;
  absl::Duration retry_after = absl::Seconds(2);  // Of 503 answers.
  std::string swagger_assets_dir;                 // npm's swagger-ui-dist, for /docs.

  // The timeouts; the rest feeds the edge's routes.
  void ApplyTo(HttpServerOptions& options) const;
};

const FlagList& HttpEdgeFlags();
// From the parsed flags; an error names the bad setting.
absl::StatusOr<HttpEdgeConfig> HttpEdgeConfigFromFlags();

}  // namespace tokengate
