#include "services/api/auth/authenticator.h"

#include "absl/strings/match.h"
#include "common/http/credentials.h"
#include "common/http/error_body.h"

namespace tokengate {
namespace {

constexpr absl::string_view kPersonalTokenPrefix = "personal_token_";

AuthResult Denied(HttpResponse error) { return AuthResult{.error = std::move(error)}; }

}  // namespace

HttpResponse Authenticator::LoginNeeded(absl::string_view message) const {
  HttpResponse response = Unauthorized(message);
  if (oidc_ != nullptr) {
    response.body = ErrorJson("unauthorized", message, R"({"login_url":"/v1/auth/login"})");
  }
  return response;
}

AuthResult Authenticator::FromOidc(absl::StatusOr<Person> user, bool session) const {
  if (absl::IsUnavailable(user.status())) {
    return Denied(ServiceUnavailable("Identity provider is unavailable, retry later", retry_after_));
  }
  if (!user.ok()) {
    return Denied(session ? LoginNeeded(user.status().message())
                          : Unauthorized("Invalid token", std::string(user.status().message())));
  }
  return AuthResult{.caller = Caller{.user_name = std::move(user->user_name),
                                     .kind = CredentialKind::kAccessToken,
                                     .email = std::move(user->email),
                                     .admin = user->admin,
                                     .managed_service_accounts = std::move(user->managed_service_accounts)}};
}

AuthResult Authenticator::FromAccessToken(absl::string_view token) const {
  if (access_tokens_ == nullptr) return Denied(Unauthorized("Invalid token", "Unknown token type"));
  auto verified = access_tokens_->Verify(token);
  if (!verified.ok()) return Denied(Unauthorized("Invalid token", std::string(verified.status().message())));
  return AuthResult{.caller = Caller{.user_name = verified->user_name,
                                     .kind = CredentialKind::kAccessToken,
                                     .admin = admin_users_.contains(verified->user_name)}};
}

AuthResult Authenticator::FromBearer(absl::string_view token, const HttpRequest& request) const {
  if (absl::StartsWith(token, kAccessTokenPrefix)) return FromAccessToken(token);
  // A JWS compact serialization starts with the base64url of '{"'.
  if (oidc_ != nullptr && absl::StartsWith(token, "eyJ")) return FromOidc(oidc_->BearerUser(token), false);
  // Data.Rentgen hands anything but a personal token to its login provider,
  // which calls it a personal token of the wrong kind.
  if (!absl::StartsWith(token, kPersonalTokenPrefix)) {
    return Denied(Unauthorized("Invalid token", std::string(kAccessTokenExpected)));
  }
  VerifyResult result = verify_cache_->Verify(token, [&] {
    return VerifyOrigin{.client_address = ClientAddressOf(request, trusted_proxies_),
                        .user_agent = UserAgentOf(request)};
  });
  switch (result.outcome) {
    case VerifyOutcome::kValid: {
      const TokenRestrictions& limits = result.principal.limits;
      // The address is worked out only for a token bound to networks.
      if (limits.limits_networks() && !limits.AllowsAddress(ClientAddressOf(request, trusted_proxies_))) {
        return Denied(Forbidden(kAddressNotAllowed));
      }
      return AuthResult{.caller = Caller{.user_name = std::move(result.principal.user_name),
                                         .kind = CredentialKind::kPersonalToken,
                                         .token_id = std::move(result.principal.token_id),
                                         .may_read = result.principal.HasScope(kReadScope),
                                         .namespaces = limits.namespaces()}};
    }
    case VerifyOutcome::kInvalid: return Denied(RefusedPersonalToken(result.reason));
    case VerifyOutcome::kUnavailable: break;
  }
  return Denied(ServiceUnavailable(UnavailableMessage(result), retry_after_));
}

std::optional<std::string> Authenticator::Bearer(const HttpRequest& request) {
  // As Data.Rentgen: a header without a bearer token counts as no header.
  auto authorization = request.Header("Authorization");
  if (!authorization) return std::nullopt;
  auto token = BearerToken(*authorization);
  if (!token) return std::nullopt;
  return std::string(*token);
}

AuthResult Authenticator::Authenticate(const HttpRequest& request) const {
  if (auto token = Bearer(request)) return FromBearer(*token, request);
  if (auto cookie = request.Cookie(kSessionCookie); cookie && !cookie->empty()) {
    // Before the session is looked at: a forged request learns nothing of it.
    if (auto refused = cross_origin_->CheckSessionRequest(request)) return Denied(*std::move(refused));
    if (oidc_ != nullptr) return FromOidc(oidc_->SessionUser(*cookie), true);
    return FromAccessToken(*cookie);
  }
  return Denied(LoginNeeded(kMissingAuthorization));
}

AuthResult Authenticator::AuthenticateHuman(const HttpRequest& request) const {
  // Refused before any verification, as Data.Rentgen does: whatever the
  // personal token's state, it is the wrong kind of credential here.
  if (auto token = Bearer(request); token && absl::StartsWith(*token, kPersonalTokenPrefix)) {
    return Denied(Unauthorized("Invalid token", std::string(kAccessTokenExpected)));
  }
  return Authenticate(request);
}

}  // namespace tokengate
