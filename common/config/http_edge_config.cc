#include "common/config/http_edge_config.h"

#include "absl/flags/flag.h"

#ifndef TOKENGATE_DEFAULT_SWAGGER_DIR
#define TOKENGATE_DEFAULT_SWAGGER_DIR "/usr/share/tokengate/swagger-ui-dist"
#endif

ABSL_FLAG(int, http_idle_timeout_seconds, 60,
          "a keep-alive connection with nothing to do is closed after this");
ABSL_FLAG(int, http_header_timeout_seconds, 10, "a request head must arrive within this (slowloris)");
ABSL_FLAG(int, http_write_timeout_seconds, 30,
          "a connection whose client takes no byte of its pending answer for this long is dropped");
ABSL_FLAG(std::string, trusted_proxies, "",
          "comma-separated CIDRs of proxies whose X-Forwarded-For is believed; empty: none");
ABSL_FLAG(int, retry_after_seconds, 2, "Retry-After of 503 answers");
ABSL_FLAG(std::string, swagger_assets_dir, TOKENGATE_DEFAULT_SWAGGER_DIR,
          "directory of npm's swagger-ui-dist, served under /static/swagger-ui/");

namespace tokengate {

const FlagList& HttpEdgeFlags() {
  static const FlagList kFlags = {
      {FLAGS_http_idle_timeout_seconds, 1, 3600},  {FLAGS_http_header_timeout_seconds, 1, 3600},
      {FLAGS_http_write_timeout_seconds, 1, 3600}, {FLAGS_trusted_proxies},
      {FLAGS_retry_after_seconds, 1, 3600},        {FLAGS_swagger_assets_dir},
  };
  return kFlags;
}

void HttpEdgeConfig::ApplyTo(HttpServerOptions& options) const {
  options.idle_timeout = idle_timeout;
  options.header_timeout = header_timeout;
  options.write_timeout = write_timeout;
}

absl::StatusOr<HttpEdgeConfig> HttpEdgeConfigFromFlags() {
  if (absl::Status ranges = CheckRanges(HttpEdgeFlags()); !ranges.ok()) return ranges;
  auto trusted = TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies));
  if (!trusted.ok()) return BadFlag(FLAGS_trusted_proxies, trusted.status().message());
  return HttpEdgeConfig{.idle_timeout = absl::Seconds(absl::GetFlag(FLAGS_http_idle_timeout_seconds)),
                        .header_timeout = absl::Seconds(absl::GetFlag(FLAGS_http_header_timeout_seconds)),
                        .write_timeout = absl::Seconds(absl::GetFlag(FLAGS_http_write_timeout_seconds)),
                        .trusted_proxies = *std::move(trusted),
                        .retry_after = absl::Seconds(absl::GetFlag(FLAGS_retry_after_seconds)),
                        .swagger_assets_dir = absl::GetFlag(FLAGS_swagger_assets_dir)};
}

}  // namespace tokengate
