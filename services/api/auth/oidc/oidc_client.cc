#include "services/api/auth/oidc/oidc_client.h"

#include <simdjson.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"
#include "common/http/url_encoded.h"
#include "services/api/auth/oidc/jws.h"

namespace tokengate {
namespace {

absl::StatusOr<std::string> StringField(simdjson::dom::object object, const char* name) {
  std::string_view value;
  if (object[name].get_string().get(value) != simdjson::SUCCESS || value.empty()) {
    return absl::UnavailableError(absl::StrCat("identity provider's discovery document has no ", name));
  }
  return std::string(value);
}

// The IdP's error code of a refused grant ("invalid_grant", …); never its tokens.
std::string OAuthError(absl::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::string_view error = "unknown_error";
  if (parser.parse(body.data(), body.size()).get_object().get(object) == simdjson::SUCCESS) {
    if (object["error"].get_string().get(error) != simdjson::SUCCESS) error = "unknown_error";
  }
  return std::string(error);
}

}  // namespace

OidcClient::OidcClient(OidcSettings settings, const Clock* clock)
    : settings_(std::move(settings)),
      clock_(clock),
      http_(settings_.http),
      jwks_(
          [this]() -> absl::StatusOr<std::string> {
            TG_ASSIGN_OR_RETURN(auto endpoints, Endpoints());
            TG_ASSIGN_OR_RETURN(auto reply, http_.Get(endpoints.jwks_uri));
            if (reply.status != 200) {
              return absl::UnavailableError(absl::StrCat("JWKS answered HTTP ", reply.status));
            }
            return std::move(reply.body);
          },
          settings_.jwks_min_refresh, clock) {}

absl::StatusOr<OidcEndpoints> OidcClient::Endpoints() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (endpoints_) return *endpoints_;
  }
  return FetchEndpoints();
}

absl::StatusOr<OidcEndpoints> OidcClient::FetchEndpoints() {
  const std::string url =
      absl::StrCat(absl::StripSuffix(settings_.issuer, "/"), "/.well-known/openid-configuration");
  TG_ASSIGN_OR_RETURN(auto reply, http_.Get(url));
  if (reply.status != 200) {
    return absl::UnavailableError(absl::StrCat("identity provider discovery answered HTTP ", reply.status));
  }
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(reply.body).get_object().get(doc) != simdjson::SUCCESS) {
    return absl::UnavailableError("identity provider's discovery document is not JSON");
  }
  TG_ASSIGN_OR_RETURN(auto issuer, StringField(doc, "issuer"));
  // OIDC Discovery §4.3: the document must name exactly the issuer we asked.
  if (issuer != settings_.issuer) {
    return absl::UnavailableError(absl::StrCat("identity provider's issuer is '", issuer,
                                               "', not the configured '", settings_.issuer, "'"));
  }
  OidcEndpoints endpoints;
  for (auto [field, name] :
       {std::pair{&endpoints.authorization, "authorization_endpoint"},
        std::pair{&endpoints.token, "token_endpoint"}, std::pair{&endpoints.jwks_uri, "jwks_uri"}}) {
    TG_ASSIGN_OR_RETURN(*field, StringField(doc, name));
  }
  if (auto end_session = StringField(doc, "end_session_endpoint"); end_session.ok()) {
    endpoints.end_session = *std::move(end_session);
  }
  std::lock_guard<std::mutex> lock(mu_);
  endpoints_ = endpoints;
  return endpoints;
}

absl::StatusOr<std::string> OidcClient::AuthorizationUrl(absl::string_view state, absl::string_view nonce,
                                                         absl::string_view code_challenge) {
  TG_ASSIGN_OR_RETURN(auto endpoints, Endpoints());
  const std::string query = EncodeUrlParams({{"response_type", "code"},
                                             {"client_id", settings_.client_id},
                                             {"redirect_uri", settings_.redirect_uri},
                                             {"scope", settings_.scope},
                                             {"state", std::string(state)},
                                             {"nonce", std::string(nonce)},
                                             {"code_challenge", std::string(code_challenge)},
                                             {"code_challenge_method", "S256"}});
  return absl::StrCat(endpoints.authorization, absl::StrContains(endpoints.authorization, '?') ? "&" : "?",
                      query);
}

absl::StatusOr<TokenSet> OidcClient::TokenGrant(absl::string_view form) {
  TG_ASSIGN_OR_RETURN(auto endpoints, Endpoints());
  TG_ASSIGN_OR_RETURN(auto reply,
                      http_.PostForm(endpoints.token, form, settings_.client_id, settings_.client_secret));
  if (reply.status != 200) {
    return absl::UnauthenticatedError(
        absl::StrCat("Identity provider refused the grant (", OAuthError(reply.body), ")"));
  }
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(reply.body).get_object().get(doc) != simdjson::SUCCESS) {
    return absl::UnavailableError("identity provider's token answer is not JSON");
  }
  TokenSet tokens;
  std::string_view text;
  if (doc["id_token"].get_string().get(text) == simdjson::SUCCESS) tokens.id_token = std::string(text);
  if (doc["refresh_token"].get_string().get(text) == simdjson::SUCCESS) {
    tokens.refresh_token = std::string(text);
  }
  if (doc["access_token"].get_string().get(text) == simdjson::SUCCESS)
    tokens.access_token = std::string(text);
  int64_t expires_in = 0;
  if (doc["expires_in"].get_int64().get(expires_in) != simdjson::SUCCESS || expires_in <= 0) expires_in = 60;
  tokens.expires_in = absl::Seconds(expires_in);
  return tokens;
}

absl::StatusOr<TokenSet> OidcClient::ExchangeCode(absl::string_view code, absl::string_view code_verifier) {
  auto tokens = TokenGrant(EncodeUrlParams({{"grant_type", "authorization_code"},
                                            {"code", std::string(code)},
                                            {"redirect_uri", settings_.redirect_uri},
                                            {"code_verifier", std::string(code_verifier)}}));
  if (tokens.ok() && tokens->id_token.empty()) {
    return absl::UnauthenticatedError("Identity provider sent no ID token (is 'openid' in the scope?)");
  }
  return tokens;
}

absl::StatusOr<TokenSet> OidcClient::Refresh(absl::string_view refresh_token) {
  return TokenGrant(
      EncodeUrlParams({{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}}));
}

absl::Status OidcClient::EndIdpSession(absl::string_view refresh_token) {
  TG_ASSIGN_OR_RETURN(auto endpoints, Endpoints());
  if (endpoints.end_session.empty()) return absl::OkStatus();
  auto reply =
      http_.PostForm(endpoints.end_session, EncodeUrlParams({{"refresh_token", std::string(refresh_token)}}),
                     settings_.client_id, settings_.client_secret);
  if (!reply.ok()) return reply.status();
  if (reply->status >= 300) {
    return absl::FailedPreconditionError(absl::StrCat("end-session endpoint answered HTTP ", reply->status));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OidcClient::EndSessionUrl(absl::string_view id_token_hint,
                                                      absl::string_view back_to) {
  TG_ASSIGN_OR_RETURN(auto endpoints, Endpoints());
  if (endpoints.end_session.empty()) return std::string(back_to);
  UrlParams params = {{"client_id", settings_.client_id}, {"post_logout_redirect_uri", std::string(back_to)}};
  if (!id_token_hint.empty()) params.emplace_back("id_token_hint", std::string(id_token_hint));
  return absl::StrCat(endpoints.end_session, absl::StrContains(endpoints.end_session, '?') ? "&" : "?",
                      EncodeUrlParams(params));
}

absl::StatusOr<TokenClaims> OidcClient::Verify(absl::string_view jwt, ClaimRules rules) {
  TG_ASSIGN_OR_RETURN(auto claims, VerifyJws(jwt, jwks_));
  return CheckClaims(claims, rules, clock_->Now());
}

ClaimRules OidcClient::Rules(TokenUse use) const {
  return ClaimRules{.issuer = settings_.issuer,
                    .client_id = settings_.client_id,
                    .clock_skew = settings_.clock_skew,
                    .use = use,
                    .admin_claim = settings_.admin_claim,
                    .admin_role = settings_.admin_role,
                    .group_claim = settings_.group_claim,
                    .group_pattern = settings_.group_pattern};
}

absl::StatusOr<TokenClaims> OidcClient::VerifyIdToken(absl::string_view id_token, absl::string_view nonce) {
  ClaimRules rules = Rules(TokenUse::kIdToken);
  rules.nonce = std::string(nonce);
  return Verify(id_token, std::move(rules));
}

absl::StatusOr<TokenClaims> OidcClient::VerifyRefreshedIdToken(absl::string_view id_token) {
  return Verify(id_token, Rules(TokenUse::kIdToken));
}

absl::StatusOr<TokenClaims> OidcClient::VerifyAccessToken(absl::string_view access_token) {
  return Verify(access_token, Rules(TokenUse::kAccessToken));
}

}  // namespace tokengate
