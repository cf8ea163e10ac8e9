// The api edge's settings: read from flags/env once, validated in one place,
// then passed by value. Nothing else in the service reads flags.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/http_edge_config.h"
#include "common/config/tls_client_config.h"
#include "common/config/verify_client_config.h"
#include "services/api/auth/rate_limiter.h"

namespace tokengate {

struct ApiConfig {
  std::string http_listen = "0.0.0.0:8000";
  // Reactor threads; verify misses and token management block one each
  // while their RPC runs.
  int http_threads = 16;
  HttpEdgeConfig http;
  VerifyClientConfig verify;
  TlsClientConfig tls;  // To the authority.
  absl::Duration authority_deadline = absl::Seconds(5);
  // "dummy", "keycloak" or "oidc": no default, a deployment names its choice.
  std::string auth_provider;
  bool auth_allow_dummy = false;  // Dummy on a non-loopback address.
  // keycloak/oidc: the issuer (keycloak: <server_url>/realms/<realm>) and this client.
  std::string oidc_issuer;
  std::string oidc_client_id;
  std::string oidc_client_secret;
  std::string oidc_redirect_uri;  // .../v1/auth/callback as browsers reach it.
  std::string oidc_home_url;      // The redirect URI's base: where logouts land.
  std::string oidc_scope = "openid";
  bool oidc_verify_tls = true;
  std::string oidc_ca_file;
  absl::Duration oidc_timeout = absl::Seconds(5);
  absl::Duration oidc_clock_skew = absl::Seconds(30);
  absl::Duration oidc_jwks_min_refresh = absl::Seconds(10);
  // The admin role: keycloak/oidc read the claim at `admin_claim` (a path,
  // list of strings or string) for `admin_role`; dummy names its admins.
  std::string admin_claim = "realm_access.roles";
  std::string admin_role = "tokengate-admin";
  // keycloak/oidc: a group whose name matches the pattern ("{name}" once)
  // in the claim at this path makes its members managers of that service account.
  std::string service_account_group_claim = "groups";
  std::string service_account_group_pattern = "tokengate-sa-{name}";
  std::vector<std::string> admin_users;
  // The api's own key for access_token_… (humans); never the authority's.
  std::string access_token_secret;
  bool access_token_secret_generated = false;
  absl::Duration access_token_lifetime = absl::Hours(10);  // Also the longest OIDC session.
  // keycloak/oidc: seals the IdP's tokens in the session table (every replica the same).
  std::string session_secret;
  bool session_secret_generated = false;
  bool cookie_secure = false;
  // Origins besides the api's own whose pages may send state-changing
  // requests with the session cookie (lower-cased scheme://host[:port]).
  std::vector<std::string> allowed_origins;
  bool verify_cache_enabled = true;  // Off: one VerifyToken RPC per request (benchmarks).
  size_t max_body_bytes = 1 << 20;
  std::string web_dir;  // The personal tokens page (web/ in the repo), served at "/".
  // The lineage tables and (keycloak/oidc) the sessions; empty: the lineage
  // endpoints are not served, and only the dummy provider starts.
  std::string database_url;
  int database_pool_size = 8;
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Leak reports per client address (token bucket).
  RateLimit leak_report_rate;

  bool oidc_login() const { return auth_provider == "keycloak" || auth_provider == "oidc"; }
};

// Names of the flags the api reads (for LoadFlags / LogEffectiveConfig).
const std::vector<std::string>& ApiFlagNames();
// Builds the config from the parsed flags; an error names the bad setting.
// An empty access token secret is replaced by a random one (and flagged).
absl::StatusOr<ApiConfig> ApiConfigFromFlags();
// 127.x.x.x, ::1 or localhost: only this machine can connect.
bool IsLoopbackHost(absl::string_view host);

}  // namespace tokengate
