#include "services/api/api_config.h"

#include <algorithm>

#include <openssl/rand.h>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"
#include "common/config/config.h"
#include "services/api/auth/cross_origin.h"

#ifndef TOKENGATE_DEFAULT_WEB_DIR
#define TOKENGATE_DEFAULT_WEB_DIR "/usr/share/tokengate/web"
#endif

ABSL_FLAG(std::string, http_listen, "0.0.0.0:8000", "HTTP listen address (port 0: pick one)");
ABSL_FLAG(int, http_threads, 16, "HTTP reactor threads (handlers block them during RPCs)");
ABSL_FLAG(int, authority_deadline_ms, 5000, "deadline of token management RPCs");
ABSL_FLAG(std::string, auth_provider, "",
          "human login: keycloak, oidc (any OpenID Connect issuer) or dummy (any user; local use only)");
ABSL_FLAG(bool, auth_allow_dummy, false, "allow the dummy provider on a non-loopback listen address");
ABSL_FLAG(std::string, keycloak_server_url, "", "keycloak: server URL, e.g. https://keycloak.example.com");
ABSL_FLAG(std::string, keycloak_realm, "", "keycloak: realm name");
ABSL_FLAG(std::string, oidc_issuer, "",
          "oidc: issuer URL (discovery at <issuer>/.well-known/openid-configuration)");
ABSL_FLAG(std::string, oidc_client_id, "", "keycloak/oidc: this api's client id");
ABSL_FLAG(std::string, oidc_client_secret, "", "keycloak/oidc: this api's client secret");
ABSL_FLAG(std::string, oidc_redirect_uri, "",
          "keycloak/oidc: this api's https://host/v1/auth/callback as browsers reach it");
ABSL_FLAG(std::string, oidc_scope, "openid", "keycloak/oidc: scopes asked for (must include openid)");
ABSL_FLAG(bool, oidc_verify_tls, true, "keycloak/oidc: verify the identity provider's TLS certificate");
ABSL_FLAG(std::string, oidc_ca_file, "",
          "keycloak/oidc: CA bundle for the identity provider (PEM); empty: system");
ABSL_FLAG(int, oidc_timeout_ms, 5000, "keycloak/oidc: deadline of each request to the identity provider");
ABSL_FLAG(int, oidc_clock_skew_seconds, 30, "keycloak/oidc: tolerated clock difference for exp/nbf/iat");
ABSL_FLAG(int, oidc_jwks_min_refresh_seconds, 10,
          "keycloak/oidc: shortest time between JWKS refetches on an unknown key id");
ABSL_FLAG(std::string, admin_claim, "realm_access.roles",
          "keycloak/oidc: claim (dotted path) whose list of strings, or string, names the person's roles");
ABSL_FLAG(std::string, admin_role, "tokengate-admin",
          "keycloak/oidc: the role in admin_claim that makes an admin");
ABSL_FLAG(std::string, service_account_group_claim, "groups",
          "keycloak/oidc: claim (dotted path) whose list of strings names the person's groups");
ABSL_FLAG(
    std::string, service_account_group_pattern, "tokengate-sa-{name}",
    "keycloak/oidc: a group matching it (\"{name}\" once; a full path's last segment) makes its members "
    "managers of service account {name}; empty: no group manages one");
ABSL_FLAG(std::string, admin_users, "", "dummy: comma-separated user names that are admins");
ABSL_FLAG(std::string, access_token_secret, "",
          "HMAC key of access_token_… (>= 32 bytes); empty: random per process");
ABSL_FLAG(std::string, session_secret, "",
          "keycloak/oidc: key (>= 32 bytes) sealing the identity provider's tokens in the session table; "
          "the same on every replica; empty: random per process (sessions end with it)");
ABSL_FLAG(int, access_token_lifetime_seconds, 36000, "lifetime of a human login");
ABSL_FLAG(bool, cookie_secure, false, "mark the login cookie Secure (serve over HTTPS)");
ABSL_FLAG(std::string, allowed_origins, "",
          "comma-separated origins (scheme://host[:port]) whose pages may use the session cookie for "
          "state-changing requests, besides the api's own; empty: none");
ABSL_FLAG(bool, verify_cache_enabled, true, "cache VerifyToken answers (off: one RPC per request)");
ABSL_FLAG(int, max_body_bytes, 1 << 20, "largest accepted request body");
ABSL_FLAG(std::string, web_dir, TOKENGATE_DEFAULT_WEB_DIR,
          "directory of the personal tokens page (web/ in the repo), served at /");
ABSL_FLAG(std::string, database_url, "",
          "libpq URI of the lineage tables (the consumer writes them) and, with keycloak/oidc, the sessions");
ABSL_FLAG(int, database_pool_size, 8, "PostgreSQL connections for the lineage endpoints and the sessions");
ABSL_FLAG(int, shutdown_grace_seconds, 10, "how long SIGTERM waits for running requests");
ABSL_FLAG(std::string, leak_report_rate, "10/min",
          "leak reports (POST /v1/personal-tokens/revoke) per client address: <count>/<s|min|h>");

namespace tokengate {
namespace {

constexpr size_t kMinSecretBytes = 32;

std::string RandomSecret() {
  unsigned char bytes[kMinSecretBytes];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

// A key of the api's own: the flag's, or a random one when it is empty
// (`generated` then says so, and the api warns that replicas differ).
absl::Status ReadOwnKey(const absl::Flag<std::string>& flag, std::string& key, bool& generated) {
  key = absl::GetFlag(flag);
  if (key.empty()) {
    key = RandomSecret();
    generated = true;
  } else if (key.size() < kMinSecretBytes) {
    return BadFlag(flag, absl::StrCat("must be at least ", kMinSecretBytes, " bytes"));
  }
  return absl::OkStatus();
}

bool IsHttpUrl(absl::string_view url) {
  return absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://");
}

absl::Status ReadOidcSettings(ApiConfig& config) {
  if (config.auth_provider == "keycloak") {
    const std::string server = absl::GetFlag(FLAGS_keycloak_server_url);
    const std::string realm = absl::GetFlag(FLAGS_keycloak_realm);
    if (!IsHttpUrl(server)) return BadFlag(FLAGS_keycloak_server_url, "must be an http(s) URL");
    if (realm.empty()) return BadFlag(FLAGS_keycloak_realm, "must be set");
    config.oidc_issuer = absl::StrCat(absl::StripSuffix(server, "/"), "/realms/", realm);
  } else {
    config.oidc_issuer = absl::GetFlag(FLAGS_oidc_issuer);
    if (!IsHttpUrl(config.oidc_issuer)) return BadFlag(FLAGS_oidc_issuer, "must be an http(s) URL");
  }
  config.oidc_client_id = absl::GetFlag(FLAGS_oidc_client_id);
  config.oidc_client_secret = absl::GetFlag(FLAGS_oidc_client_secret);
  config.oidc_redirect_uri = absl::GetFlag(FLAGS_oidc_redirect_uri);
  config.oidc_scope = absl::GetFlag(FLAGS_oidc_scope);
  if (config.oidc_client_id.empty()) return BadFlag(FLAGS_oidc_client_id, "must be set");
  if (config.oidc_client_secret.empty())
    return BadFlag(FLAGS_oidc_client_secret, "must be set (or its _FILE form)");
  constexpr absl::string_view kCallback = "/v1/auth/callback";
  if (!IsHttpUrl(config.oidc_redirect_uri) || !absl::EndsWith(config.oidc_redirect_uri, kCallback)) {
    return BadFlag(FLAGS_oidc_redirect_uri, "must be the http(s) URL of this api's /v1/auth/callback");
  }
  config.oidc_home_url = absl::StrCat(absl::StripSuffix(config.oidc_redirect_uri, kCallback), "/");
  const std::vector<absl::string_view> scopes = absl::StrSplit(config.oidc_scope, ' ', absl::SkipEmpty());
  if (std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) {
    return BadFlag(FLAGS_oidc_scope, "must include openid");
  }
  config.oidc_verify_tls = absl::GetFlag(FLAGS_oidc_verify_tls);
  config.oidc_ca_file = absl::GetFlag(FLAGS_oidc_ca_file);
  return absl::OkStatus();
}

const FlagList& ApiFlags() {
  static const FlagList kFlags = {
      {FLAGS_http_listen},
      {FLAGS_http_threads, 1, 1024},
      {FLAGS_authority_deadline_ms, 10, 600000},
      {FLAGS_auth_provider},
      {FLAGS_auth_allow_dummy},
      {FLAGS_keycloak_server_url},
      {FLAGS_keycloak_realm},
      {FLAGS_oidc_issuer},
      {FLAGS_oidc_client_id},
      {FLAGS_oidc_client_secret},
      {FLAGS_oidc_redirect_uri},
      {FLAGS_oidc_scope},
      {FLAGS_oidc_verify_tls},
      {FLAGS_oidc_ca_file},
      {FLAGS_oidc_timeout_ms, 100, 60000},
      {FLAGS_oidc_clock_skew_seconds, 0, 300},
      {FLAGS_oidc_jwks_min_refresh_seconds, 0, 3600},
      {FLAGS_admin_claim},
      {FLAGS_admin_role},
      {FLAGS_service_account_group_claim},
      {FLAGS_service_account_group_pattern},
      {FLAGS_admin_users},
      {FLAGS_access_token_secret},
      {FLAGS_session_secret},
      {FLAGS_access_token_lifetime_seconds, 60, 30 * 86400},
      {FLAGS_cookie_secure},
      {FLAGS_allowed_origins},
      {FLAGS_verify_cache_enabled},
      {FLAGS_max_body_bytes, 1024, 64 << 20},
      {FLAGS_web_dir},
      {FLAGS_database_url},
      {FLAGS_database_pool_size, 1, 256},
      {FLAGS_shutdown_grace_seconds, 0, 600},
      {FLAGS_leak_report_rate},
  };
  return kFlags;
}

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || absl::StartsWith(host, "127.");
}

const std::vector<std::string>& ApiFlagNames() {
  static const std::vector<std::string> kNames =
      FlagNames({&ApiFlags(), &HttpEdgeFlags(), &VerifyClientFlags(), &TlsClientFlags()});
  return kNames;
}

absl::StatusOr<ApiConfig> ApiConfigFromFlags() {
  ApiConfig config;
  config.http_listen = absl::GetFlag(FLAGS_http_listen);
  if (auto hp = ParseHostPort(config.http_listen); !hp.ok())
    return BadFlag(FLAGS_http_listen, hp.status().message());
  TG_ASSIGN_OR_RETURN(config.verify, VerifyClientConfigFromFlags());
  config.auth_provider = absl::GetFlag(FLAGS_auth_provider);
  config.auth_allow_dummy = absl::GetFlag(FLAGS_auth_allow_dummy);
  if (config.auth_provider == "dummy") {
    const std::string host = ParseHostPort(config.http_listen)->first;
    if (!IsLoopbackHost(host) && !config.auth_allow_dummy) {
      return BadFlag(FLAGS_auth_provider,
                     absl::StrCat("dummy lets anyone log in as anyone: refused on ", host,
                                  " (listen on 127.0.0.1, or set ", EnvNameOf("auth_allow_dummy"), "=true)"));
    }
  } else if (config.auth_provider == "keycloak" || config.auth_provider == "oidc") {
    TG_RETURN_IF_ERROR(ReadOidcSettings(config));
  } else if (config.auth_provider.empty()) {
    return BadFlag(FLAGS_auth_provider,
                   "must be set: keycloak or oidc (real logins), or dummy (any user, local use only)");
  } else {
    return BadFlag(FLAGS_auth_provider, "known providers: keycloak, oidc, dummy");
  }

  config.admin_claim = absl::GetFlag(FLAGS_admin_claim);
  config.admin_role = absl::GetFlag(FLAGS_admin_role);
  if (config.admin_claim.empty())
    return BadFlag(FLAGS_admin_claim, "must be set (a claim name or dotted path)");
  if (config.admin_role.empty()) return BadFlag(FLAGS_admin_role, "must be set");
  config.service_account_group_claim = absl::GetFlag(FLAGS_service_account_group_claim);
  config.service_account_group_pattern = absl::GetFlag(FLAGS_service_account_group_pattern);
  if (const std::string& pattern = config.service_account_group_pattern;
      !pattern.empty() &&
      (pattern.find("{name}") == std::string::npos || pattern.find("{name}") != pattern.rfind("{name}"))) {
    return BadFlag(FLAGS_service_account_group_pattern, "must hold {name} exactly once, or be empty");
  }
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_admin_users), ',', absl::SkipWhitespace())) {
    config.admin_users.emplace_back(absl::StripAsciiWhitespace(name));
  }
  if (!config.admin_users.empty() && config.auth_provider != "dummy") {
    return BadFlag(FLAGS_admin_users,
                   "is for the dummy provider; with keycloak/oidc the IdP gives the admin role");
  }
  TG_ASSIGN_OR_RETURN(config.http, HttpEdgeConfigFromFlags());

  TG_RETURN_IF_ERROR(ReadOwnKey(FLAGS_access_token_secret, config.access_token_secret,
                                config.access_token_secret_generated));
  if (config.oidc_login()) {
    TG_RETURN_IF_ERROR(
        ReadOwnKey(FLAGS_session_secret, config.session_secret, config.session_secret_generated));
  }
  // Served over https (as the redirect URI says): the cookies must not travel in clear.
  config.cookie_secure =
      absl::GetFlag(FLAGS_cookie_secure) || absl::StartsWith(config.oidc_redirect_uri, "https://");
  auto origins = ParseAllowedOrigins(absl::GetFlag(FLAGS_allowed_origins));
  if (!origins.ok()) return BadFlag(FLAGS_allowed_origins, origins.status().message());
  config.allowed_origins = *std::move(origins);
  config.verify_cache_enabled = absl::GetFlag(FLAGS_verify_cache_enabled);

  if (absl::Status ranges = CheckRanges(ApiFlags()); !ranges.ok()) return ranges;
  config.http_threads = absl::GetFlag(FLAGS_http_threads);
  config.authority_deadline = absl::Milliseconds(absl::GetFlag(FLAGS_authority_deadline_ms));
  config.access_token_lifetime = absl::Seconds(absl::GetFlag(FLAGS_access_token_lifetime_seconds));
  config.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  config.oidc_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_oidc_timeout_ms));
  config.oidc_clock_skew = absl::Seconds(absl::GetFlag(FLAGS_oidc_clock_skew_seconds));
  config.oidc_jwks_min_refresh = absl::Seconds(absl::GetFlag(FLAGS_oidc_jwks_min_refresh_seconds));
  config.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  config.web_dir = absl::GetFlag(FLAGS_web_dir);
  config.database_url = absl::GetFlag(FLAGS_database_url);
  if (config.oidc_login() && config.database_url.empty()) {
    return BadFlag(FLAGS_database_url, "must be set with keycloak/oidc: browser sessions live in PostgreSQL");
  }
  config.database_pool_size = absl::GetFlag(FLAGS_database_pool_size);
  auto leak_rate = ParseRateLimit(absl::GetFlag(FLAGS_leak_report_rate));
  if (!leak_rate.ok()) return BadFlag(FLAGS_leak_report_rate, leak_rate.status().message());
  config.leak_report_rate = *leak_rate;

  TG_ASSIGN_OR_RETURN(config.tls, TlsClientConfigFromFlags());
  return config;
}

}  // namespace tokengate
