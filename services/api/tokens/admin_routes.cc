#include "services/api/tokens/admin_routes.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/http/error_body.h"
#include "services/api/auth/actor.h"
#include "services/api/tokens/admin_messages.h"
#include "services/api/tokens/service_account_messages.h"

namespace tokengate {
namespace {

constexpr char kAdminOnly[] = "Only administrators may do this";

class AdminRoutes {
 public:
  explicit AdminRoutes(PersonalTokensRoutesDeps deps) : deps_(std::move(deps)) {}

  HttpResponse List(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    v1::AdminListTokensRequest rpc;
    *rpc.mutable_actor() = ActorOf(*auth.caller, request, deps_.trusted_proxies);
    if (!auth.caller->admin) {
      v1::AdminListTokensResponse ignored;
      auto context = deps_.call.Context();
      deps_.authority->AdminListTokens(context.get(), rpc, &ignored);
      return NotAdmin(request, *auth.caller);
    }
    auto query = ParseAdminListQuery(request.query());
    if (!query.value) return InvalidRequest(query.issues);
    rpc.set_user_name(query.value->user);
    rpc.set_active_only(query.value->active_only);
    rpc.set_page(query.value->page.page);
    rpc.set_page_size(query.value->page.page_size);
    v1::AdminListTokensResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->AdminListTokens(context.get(), rpc, &response);
    if (!status.ok()) return deps_.call.Failed("AdminListTokens", status, *context);
    return HttpResponse::Json(200, AdminListJson(*query.value, response));
  }

  HttpResponse RevokeUserTokens(const HttpRequest& request) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    const std::string user = request.PathParam("user_name");
    v1::RevokeUserTokensRequest rpc;
    *rpc.mutable_actor() = ActorOf(*auth.caller, request, deps_.trusted_proxies);
    rpc.set_user_name(user);
    v1::RevokeUserTokensResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->RevokeUserTokens(context.get(), rpc, &response);
    if (!auth.caller->admin) return NotAdmin(request, *auth.caller);
    if (!status.ok()) return deps_.call.Failed("RevokeUserTokens", status, *context);
    for (const std::string& id : response.token_ids()) deps_.verify_cache->OnRevoked(id);
    TG_LOG(Info) << "request_id=" << request.request_id() << " admin=" << auth.caller->user_name
                 << " revoked " << response.revoked_count() << " personal tokens of user=" << user;
    return HttpResponse::Json(200, RevokedUserTokensJson(response));
  }

  HttpResponse CreateServiceAccount(const HttpRequest& request) const {
    return AsAdmin<v1::CreateServiceAccountResponse>(
        request, "CreateServiceAccount",
        [&](const Caller&, v1::CreateServiceAccountRequest& rpc) -> std::optional<HttpResponse> {
          auto body = ParseServiceAccountBody(request.body());
          if (!body.value) return InvalidRequest(body.issues);
          rpc.set_name(body.value->name);
          rpc.set_description(body.value->description);
          rpc.set_email(body.value->email);
          rpc.set_webhook_url(body.value->webhook_url);
          return std::nullopt;
        },
        &v1::TokenAuthority::StubInterface::CreateServiceAccount,
        [](const v1::CreateServiceAccountResponse& response) {
          return HttpResponse::Json(200, ServiceAccountJson(response.service_account(), true));
        });
  }

  HttpResponse ListServiceAccounts(const HttpRequest& request) const {
    std::optional<ServiceAccountsQuery> query;
    return AsAdmin<v1::ListServiceAccountsResponse>(
        request, "ListServiceAccounts",
        [&](const Caller&, v1::ListServiceAccountsRequest& rpc) -> std::optional<HttpResponse> {
          auto parsed = ParseServiceAccountsQuery(request.query());
          if (!parsed.value) return InvalidRequest(parsed.issues);
          query = parsed.value;
          rpc.set_include_disabled(query->include_disabled);
          rpc.set_page(query->page.page);
          rpc.set_page_size(query->page.page_size);
          return std::nullopt;
        },
        &v1::TokenAuthority::StubInterface::ListServiceAccounts,
        [&](const v1::ListServiceAccountsResponse& response) {
          return HttpResponse::Json(200, ServiceAccountsJson(*query, response));
        });
  }

  HttpResponse DisableServiceAccount(const HttpRequest& request) const {
    return AsAdmin<v1::DisableServiceAccountResponse>(
        request, "DisableServiceAccount",
        [&](const Caller&, v1::DisableServiceAccountRequest& rpc) -> std::optional<HttpResponse> {
          rpc.set_name(request.PathParam("service_account_name"));
          return std::nullopt;
        },
        &v1::TokenAuthority::StubInterface::DisableServiceAccount,
        [&](const v1::DisableServiceAccountResponse& response) {
          for (const std::string& id : response.token_ids()) deps_.verify_cache->OnRevoked(id);
          TG_LOG(Info) << "request_id=" << request.request_id() << " disabled service account "
                       << request.PathParam("service_account_name") << ", revoked "
                       << response.revoked_count() << " personal tokens";
          return HttpResponse::Json(200, DisabledServiceAccountJson(response));
        });
  }

  HttpResponse Manager(const HttpRequest& request, bool add) const {
    return AsAdmin<v1::ServiceAccountManagerResponse>(
        request, add ? "AddServiceAccountManager" : "RemoveServiceAccountManager",
        [&](const Caller&, v1::ServiceAccountManagerRequest& rpc) -> std::optional<HttpResponse> {
          rpc.set_name(request.PathParam("service_account_name"));
          rpc.set_user_name(request.PathParam("user_name"));
          return std::nullopt;
        },
        add ? &v1::TokenAuthority::StubInterface::AddServiceAccountManager
            : &v1::TokenAuthority::StubInterface::RemoveServiceAccountManager,
        [](const v1::ServiceAccountManagerResponse& response) {
          return HttpResponse::Json(200, ServiceAccountJson(response.service_account(), true));
        });
  }

 private:
  // An administration call: a human login; `fill` completes the request (or
  // answers 422 first); a non-admin's call is still sent, to be refused and
  // audited by the authority, and answered 403 here (see NotAdmin).
  template <typename Response, typename Request, typename Fill, typename Answer>
  HttpResponse AsAdmin(const HttpRequest& request, const char* method, Fill fill,
                       grpc::Status (v1::TokenAuthority::StubInterface::*rpc_method)(grpc::ClientContext*,
                                                                                     const Request&,
                                                                                     Response*),
                       Answer answer) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    Request rpc;
    *rpc.mutable_actor() = ActorOf(*auth.caller, request, deps_.trusted_proxies);
    if (auth.caller->admin) {
      if (auto invalid = fill(*auth.caller, rpc)) return *invalid;
    }
    Response response;
    auto context = deps_.call.Context();
    grpc::Status status = (deps_.authority->*rpc_method)(context.get(), rpc, &response);
    if (!auth.caller->admin) return NotAdmin(request, *auth.caller);
    if (!status.ok()) return deps_.call.Failed(method, status, *context);
    return answer(response);
  }

  // A non-admin's call is still sent, with Actor.admin false: the authority
  // refuses it and writes the attempt to the audit trail. The 403 is ours
  // whatever the authority answered. Personal tokens never reach here (they
  // never carry the role: AuthenticateHuman refuses them).
  static HttpResponse NotAdmin(const HttpRequest& request, const Caller& caller) {
    TG_LOG(Info) << "request_id=" << request.request_id() << " user=" << caller.user_name << " refused "
                 << request.route() << ": not an admin";
    return Forbidden(kAdminOnly,
                     absl::StrCat("User '", caller.user_name, "' does not have the administrator role"));
  }

  const PersonalTokensRoutesDeps deps_;
};

}  // namespace

void AddAdminRoutes(Router& router, PersonalTokensRoutesDeps deps) {
  auto routes = std::make_shared<AdminRoutes>(std::move(deps));
  router.Add(HttpMethod::kGet, "/v1/admin/personal-tokens",
             [routes](const HttpRequest& r) { return routes->List(r); });
  router.Add(HttpMethod::kPost, "/v1/admin/users/{user_name}/revoke-tokens",
             [routes](const HttpRequest& r) { return routes->RevokeUserTokens(r); });
  router.Add(HttpMethod::kPost, "/v1/admin/service-accounts",
             [routes](const HttpRequest& r) { return routes->CreateServiceAccount(r); });
  router.Add(HttpMethod::kGet, "/v1/admin/service-accounts",
             [routes](const HttpRequest& r) { return routes->ListServiceAccounts(r); });
  router.Add(HttpMethod::kDelete, "/v1/admin/service-accounts/{service_account_name}",
             [routes](const HttpRequest& r) { return routes->DisableServiceAccount(r); });
  router.Add(HttpMethod::kPut, "/v1/admin/service-accounts/{service_account_name}/managers/{user_name}",
             [routes](const HttpRequest& r) { return routes->Manager(r, true); });
  router.Add(HttpMethod::kDelete, "/v1/admin/service-accounts/{service_account_name}/managers/{user_name}",
             [routes](const HttpRequest& r) { return routes->Manager(r, false); });
}

}  // namespace tokengate
