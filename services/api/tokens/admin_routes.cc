#include "services/api/tokens/admin_routes.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/http/error_body.h"
#include "common/base/log.h"
#include "services/api/auth/actor.h"
#include "services/api/tokens/admin_messages.h"

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

 private:
  // A non-admin's call is still sent, with Actor.admin false: the authority
  // refuses it and writes the attempt to the audit trail. The 403 is ours
  // whatever the authority answered. Personal tokens never reach here (they
  // never carry the role: AuthenticateHuman refuses them).
  static HttpResponse NotAdmin(const HttpRequest& request, const Caller& caller) {
    TG_LOG(Info) << "request_id=" << request.request_id() << " user=" << caller.user_name
                 << " refused " << request.route() << ": not an admin";
    return Forbidden(kAdminOnly, absl::StrCat("User '", caller.user_name, "' does not have the administrator role"));
  }

  const PersonalTokensRoutesDeps deps_;
};

}  // namespace

void AddAdminRoutes(Router& router, PersonalTokensRoutesDeps deps) {
  auto routes = std::make_shared<AdminRoutes>(std::move(deps));
  router.Add(HttpMethod::kGet, "/v1/admin/personal-tokens", [routes](const HttpRequest& r) { return routes->List(r); });
  router.Add(HttpMethod::kPost, "/v1/admin/users/{user_name}/revoke-tokens",
             [routes](const HttpRequest& r) { return routes->RevokeUserTokens(r); });
}

}  // namespace tokengate
