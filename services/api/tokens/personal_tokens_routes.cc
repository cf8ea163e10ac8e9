#include "services/api/tokens/personal_tokens_routes.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/base/json_writer.h"
#include "common/base/log.h"
#include "common/http/error_body.h"
#include "services/api/auth/actor.h"
#include "services/api/tokens/admin_messages.h"
#include "services/api/tokens/personal_token_messages.h"
#include "services/api/tokens/service_account_messages.h"

namespace tokengate {
namespace {

class PersonalTokensRoutes {
 public:
  explicit PersonalTokensRoutes(PersonalTokensRoutesDeps deps) : deps_(std::move(deps)) {}

  HttpResponse List(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->Authenticate(request);
    if (!auth.caller) return auth.error;
    auto query = ParseListQuery(request.query());
    if (!query.value) return InvalidRequest(query.issues);
    v1::ListTokensRequest rpc;
    rpc.set_user_name(auth.caller->user_name);
    OnAccount(request, rpc);
    rpc.set_page(query.value->page);
    rpc.set_page_size(query.value->page_size);
    for (const auto& id : query.value->token_ids) rpc.add_token_ids(id);
    *rpc.mutable_actor() = Actor(*auth.caller, request);
    v1::ListTokensResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->ListTokens(context.get(), rpc, &response);
    if (!status.ok()) return deps_.call.Failed("ListTokens", status, *context);
    return HttpResponse::Json(200, ListJson(*query.value, response));
  }

  HttpResponse Events(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->Authenticate(request);
    if (!auth.caller) return auth.error;
    auto id = ParseTokenId(request.PathParam("personal_token_id"));
    auto query = ParsePageQuery(request.query());
    if (!id.value || !query.value) {
      id.issues.insert(id.issues.end(), query.issues.begin(), query.issues.end());
      return InvalidRequest(id.issues);
    }
    v1::ListTokenEventsRequest rpc;
    rpc.set_user_name(auth.caller->user_name);
    OnAccount(request, rpc);
    rpc.set_token_id(*id.value);
    rpc.set_page(query.value->page);
    rpc.set_page_size(query.value->page_size);
    *rpc.mutable_actor() = Actor(*auth.caller, request);
    v1::ListTokenEventsResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->ListTokenEvents(context.get(), rpc, &response);
    if (!status.ok()) return deps_.call.Failed("ListTokenEvents", status, *context);
    return HttpResponse::Json(200, EventsJson(*query.value, response));
  }

  HttpResponse Create(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    auto body = ParseCreateBody(request.body());
    if (!body.value) return InvalidRequest(body.issues);
    v1::IssueTokenRequest rpc;
    rpc.set_user_name(auth.caller->user_name);
    OnAccount(request, rpc);
    rpc.set_name(body.value->name);
    rpc.set_until(body.value->until);
    SetLimits(body.value->limits, rpc);
    *rpc.mutable_actor() = Actor(*auth.caller, request);
    v1::IssueTokenResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->IssueToken(context.get(), rpc, &response);
    if (!status.ok()) return deps_.call.Failed("IssueToken", status, *context, UntilInput(body.value->until));
    TG_LOG(Info) << "request_id=" << request.request_id()
                 << " created personal token id=" << response.token().id();
    return HttpResponse::Json(200, IssuedJson(response.token(), response.content())).NotStored();
  }

  HttpResponse Refresh(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    auto id = ParseTokenId(request.PathParam("personal_token_id"));
    auto body = ParseRefreshBody(request.body());
    if (!id.value || !body.value) {  // Both reported at once, path first, as pydantic does.
      id.issues.insert(id.issues.end(), body.issues.begin(), body.issues.end());
      return InvalidRequest(id.issues);
    }
    v1::RefreshTokenRequest rpc;
    rpc.set_user_name(auth.caller->user_name);
    OnAccount(request, rpc);
    rpc.set_token_id(*id.value);
    rpc.set_until(body.value->until);
    SetLimits(body.value->limits, rpc);
    rpc.set_grace_seconds(body.value->grace_seconds);
    *rpc.mutable_actor() = Actor(*auth.caller, request);
    v1::RefreshTokenResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->RefreshToken(context.get(), rpc, &response);
    if (!status.ok())
      return deps_.call.Failed("RefreshToken", status, *context, UntilInput(body.value->until));
    // With a grace the old content still works: its end reaches this cache
    // as a revocation, like any other (and no answer outlives it).
    if (body.value->grace_seconds == 0) deps_.verify_cache->OnRevoked(*id.value);
    TG_LOG(Info) << "request_id=" << request.request_id() << " refreshed personal token id=" << *id.value
                 << " as id=" << response.token().id();
    return HttpResponse::Json(200, IssuedJson(response.token(), response.content())).NotStored();
  }

  HttpResponse Revoke(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    auto id = ParseTokenId(request.PathParam("personal_token_id"));
    if (!id.value) return InvalidRequest(id.issues);
    v1::RevokeTokenRequest rpc;
    rpc.set_user_name(auth.caller->user_name);
    OnAccount(request, rpc);
    rpc.set_token_id(*id.value);
    *rpc.mutable_actor() = Actor(*auth.caller, request);
    v1::RevokeTokenResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->RevokeToken(context.get(), rpc, &response);
    if (!status.ok()) return deps_.call.Failed("RevokeToken", status, *context);
    deps_.verify_cache->OnRevoked(*id.value);
    TG_LOG(Info) << "request_id=" << request.request_id() << " revoked personal token id=" << *id.value;
    return HttpResponse::NoContent();
  }

  // GET /v1/service-accounts: those the caller manages (the page's menu).
  HttpResponse ManagedAccounts(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    v1::ListManagedServiceAccountsRequest rpc;
    rpc.set_user_name(auth.caller->user_name);
    *rpc.mutable_actor() = Actor(*auth.caller, request);
    v1::ListManagedServiceAccountsResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->ListManagedServiceAccounts(context.get(), rpc, &response);
    if (!status.ok()) return deps_.call.Failed("ListManagedServiceAccounts", status, *context);
    return HttpResponse::Json(200, ManagedServiceAccountsJson(response));
  }

 private:
  // Under /v1/service-accounts/{name}/: the call is on that account's tokens,
  // and the authority decides whether the caller manages it.
  template <typename Request>
  static void OnAccount(const HttpRequest& request, Request& rpc) {
    std::string account = request.PathParam("service_account_name");
    if (!account.empty()) rpc.set_service_account(std::move(account));
  }

  v1::Actor Actor(const Caller& caller, const HttpRequest& request) const {
    return ActorOf(caller, request, deps_.trusted_proxies);
  }

  template <typename Request>
  static void SetLimits(const LimitsBody& limits, Request& rpc) {
    for (const auto& scope : limits.scopes) rpc.add_scopes(scope);
    for (const auto& pattern : limits.namespaces) rpc.add_namespaces(pattern);
    for (const auto& network : limits.networks) rpc.add_networks(network);
  }

  // The client's `until`, for a 422 about it (pydantic echoes the input).
  static InputOf UntilInput(const std::string& until) {
    return [until](const std::string& field) { return field == "until" ? JsonQuote(until) : ""; };
  }

  const PersonalTokensRoutesDeps deps_;
};

}  // namespace

void AddPersonalTokensRoutes(Router& router, PersonalTokensRoutesDeps deps) {
  auto routes = std::make_shared<PersonalTokensRoutes>(deps);
  // A service account's tokens have the same endpoints under its name.
  for (const std::string base :
       {"/v1/personal-tokens", "/v1/service-accounts/{service_account_name}/personal-tokens"}) {
    router.Add(HttpMethod::kGet, base, [routes](const HttpRequest& r) { return routes->List(r); });
    router.Add(HttpMethod::kPost, base, [routes](const HttpRequest& r) { return routes->Create(r); });
    router.Add(HttpMethod::kPatch, base + "/{personal_token_id}",
               [routes](const HttpRequest& r) { return routes->Refresh(r); });
    router.Add(HttpMethod::kDelete, base + "/{personal_token_id}",
               [routes](const HttpRequest& r) { return routes->Revoke(r); });
    router.Add(HttpMethod::kGet, base + "/{personal_token_id}/events",
               [routes](const HttpRequest& r) { return routes->Events(r); });
  }
  router.Add(HttpMethod::kGet, "/v1/service-accounts",
             [routes](const HttpRequest& r) { return routes->ManagedAccounts(r); });
}

}  // namespace tokengate
