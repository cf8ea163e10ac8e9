#include "services/api/auth/oidc/oidc_login.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

// The session table could not answer: the caller gets 503 (fail closed), the log the reason.
absl::Status StoreFailed(const absl::Status& status) {
  TG_LOG(Warning) << "session store: " << status.message();
  return absl::UnavailableError("Session store is unavailable, retry later");
}

}  // namespace

std::string SafeNextPath(absl::string_view next) {
  if (next.empty() || next[0] != '/' || absl::StartsWith(next, "//") || absl::StrContains(next, '\\')) {
    return "/";
  }
  for (char c : next) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) return "/";
  }
  return std::string(next);
}

OidcLogin::OidcLogin(OidcClient* client, SessionStore* store, absl::Duration session_lifetime,
                     const Clock* clock, MetricsRegistry* metrics)
    : client_(client), store_(store), session_lifetime_(session_lifetime), clock_(clock) {
  if (metrics != nullptr) {
    logins_ = metrics->AddCounter("tokengate_oidc_logins_total",
                                  "Browser logins through the identity provider, by outcome", {"outcome"});
    refreshes_ = metrics->AddCounter("tokengate_oidc_refreshes_total",
                                     "Session refreshes at the identity provider, by outcome", {"outcome"});
  }
}

void OidcLogin::Count(CounterFamily* family, absl::string_view outcome) {
  if (family != nullptr) family->WithLabels({std::string(outcome)})->Increment();
}

absl::StatusOr<LoginStart> OidcLogin::Start(absl::string_view next) {
  PendingLogin pending{.nonce = RandomToken(), .code_verifier = RandomToken(), .next = SafeNextPath(next)};
  const std::string nonce = pending.nonce;
  const std::string challenge = CodeChallengeS256(pending.code_verifier);
  // Discovery afresh, before storing anything: a down IdP gets a clear 503 here rather than a
  // browser error page at its address, and costs no memory.
  if (auto endpoints = client_->FetchEndpoints(); !endpoints.ok()) return endpoints.status();
  auto state = store_->StartLogin(std::move(pending));
  if (!state.ok()) return StoreFailed(state.status());
  TG_ASSIGN_OR_RETURN(auto url, client_->AuthorizationUrl(*state, nonce, challenge));
  return LoginStart{.state = *std::move(state), .redirect_url = std::move(url)};
}

absl::StatusOr<LoginDone> OidcLogin::Finish(absl::string_view state, absl::string_view code) {
  auto taken = store_->TakeLogin(state);
  if (!taken.ok()) return StoreFailed(taken.status());
  std::optional<PendingLogin>& pending = *taken;
  if (!pending) {
    Count(logins_, "bad_state");
    return absl::UnauthenticatedError("Unknown or expired login state: start the login again");
  }
  auto tokens = client_->ExchangeCode(code, pending->code_verifier);
  if (!tokens.ok()) {
    Count(logins_, absl::IsUnavailable(tokens.status()) ? "idp_unavailable" : "refused");
    return tokens.status();
  }
  auto claims = client_->VerifyIdToken(tokens->id_token, pending->nonce);
  if (!claims.ok()) {
    Count(logins_, absl::IsUnavailable(claims.status()) ? "idp_unavailable" : "bad_id_token");
    return claims.status();
  }
  const absl::Time now = clock_->Now();
  Session session{.user_name = claims->user_name,
                  .access_expires_at = now + tokens->expires_in,
                  .ends_at = now + session_lifetime_};
  ReadRoles(*tokens, claims, session);
  session.refresh_token = std::move(tokens->refresh_token);
  session.id_token = std::move(tokens->id_token);
  auto id = store_->Create(session);
  if (!id.ok()) return StoreFailed(id.status());
  Count(logins_, "ok");
  return LoginDone{.session_id = *std::move(id), .user_name = claims->user_name, .next = pending->next};
}

void OidcLogin::ReadRoles(const TokenSet& tokens, const absl::StatusOr<TokenClaims>& id_claims,
                          Session& session) {
  session.email.clear();
  session.admin = false;
  session.managed_service_accounts.clear();
  if (id_claims.ok() && id_claims->user_name == session.user_name) {
    session.email = id_claims->email;
    session.admin = id_claims->admin;
    session.managed_service_accounts = id_claims->managed_service_accounts;
  }
  if (tokens.access_token.empty()) return;
  auto access = client_->VerifyAccessToken(tokens.access_token);
  if (!access.ok() || access->user_name != session.user_name) return;
  if (session.email.empty()) session.email = access->email;
  session.admin = session.admin || access->admin;
  auto& names = session.managed_service_accounts;
  names.insert(names.end(), access->managed_service_accounts.begin(), access->managed_service_accounts.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

absl::StatusOr<Person> OidcLogin::SessionUser(absl::string_view session_id) {
  auto found = store_->Find(session_id);
  if (!found.ok()) return StoreFailed(found.status());
  std::optional<Session>& session = *found;
  if (!session) return absl::UnauthenticatedError("Session has ended: log in again");
  auto person = [&session] {
    return Person{.user_name = session->user_name,
                  .email = session->email,
                  .admin = session->admin,
                  .managed_service_accounts = session->managed_service_accounts};
  };
  if (clock_->Now() < session->access_expires_at) return person();
  if (session->refresh_token.empty()) {
    if (auto removed = store_->Remove(session_id); !removed.ok()) return StoreFailed(removed.status());
    return absl::UnauthenticatedError("Session has ended: log in again");
  }
  auto tokens = client_->Refresh(session->refresh_token);
  if (absl::IsUnavailable(tokens.status())) {
    Count(refreshes_, "idp_unavailable");
    return tokens.status();
  }
  if (!tokens.ok()) {
    Count(refreshes_, "refused");
    if (auto removed = store_->Remove(session_id); !removed.ok()) return StoreFailed(removed.status());
    return absl::UnauthenticatedError("Session has ended at the identity provider: log in again");
  }
  Count(refreshes_, "ok");
  // The IdP may have granted or withdrawn the role since the login.
  const absl::StatusOr<TokenClaims> id_claims =
      tokens->id_token.empty() ? absl::StatusOr<TokenClaims>(absl::NotFoundError("no ID token"))
                               : client_->VerifyRefreshedIdToken(tokens->id_token);
  ReadRoles(*tokens, id_claims, *session);
  if (!tokens->refresh_token.empty()) session->refresh_token = std::move(tokens->refresh_token);
  if (!tokens->id_token.empty()) session->id_token = std::move(tokens->id_token);
  session->access_expires_at = clock_->Now() + tokens->expires_in;
  auto updated = store_->Update(session_id, *session);
  if (!updated.ok()) return StoreFailed(updated.status());
  if (!*updated) return absl::UnauthenticatedError("Session has ended: log in again");
  return person();
}

absl::StatusOr<Person> OidcLogin::BearerUser(absl::string_view jwt) {
  TG_ASSIGN_OR_RETURN(auto claims, client_->VerifyAccessToken(jwt));
  return Person{.user_name = claims.user_name,
                .email = claims.email,
                .admin = claims.admin,
                .managed_service_accounts = claims.managed_service_accounts};
}

std::string OidcLogin::Logout(absl::string_view session_id, absl::string_view back_to) {
  auto removed = store_->Remove(session_id);
  // The store unreachable: the cookie is dropped all the same, and the session ends when it ends.
  if (!removed.ok()) (void)StoreFailed(removed.status());
  if (!removed.ok() || !*removed) return std::string(back_to);
  std::optional<Session>& session = *removed;
  TG_LOG(Info) << "logout user=" << session->user_name;
  if (!session->refresh_token.empty()) {
    if (absl::Status ended = client_->EndIdpSession(session->refresh_token); !ended.ok()) {
      TG_LOG(Warning) << "could not end the session at the identity provider: " << ended.message();
    }
  }
  auto url = client_->EndSessionUrl(session->id_token, back_to);
  return url.ok() ? *url : std::string(back_to);
}

}  // namespace tokengate
