#include "services/api/admin_routes.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/http/error_body.h"
#include "common/log.h"
#include "services/api/actor.h"
#include "services/api/admin_messages.h"

namespace tokengate {
namespace {

using Method = Pistache::Http::Method;

constexpr char kAdminOnly[] = "Only administrators may do this";

class AdminRoutes {
 public:
  explicit AdminRoutes(PersonalTokensRoutesDeps deps) : deps_(std::move(deps)) {}

  HttpResponse List(const HttpRequest& request) const {
    std::optional<Caller> admin;
    if (auto refused = Admin(request, &admin)) return *refused;
    auto query = ParseAdminListQuery(request.query());
    if (!query.value) return InvalidRequest(query.issues);
    v1::AdminListTokensRequest rpc;
    *rpc.mutable_actor() = ActorOf(*admin, request, deps_.trusted_proxies);
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
    std::optional<Caller> admin;
    if (auto refused = Admin(request, &admin)) return *refused;
    const std::string user = request.PathParam("user_name");
    v1::RevokeUserTokensRequest rpc;
    *rpc.mutable_actor() = ActorOf(*admin, request, deps_.trusted_proxies);
    rpc.set_user_name(user);
    v1::RevokeUserTokensResponse response;
    auto context = deps_.call.Context();
    grpc::Status status = deps_.authority->RevokeUserTokens(context.get(), rpc, &response);
    if (!status.ok()) return deps_.call.Failed("RevokeUserTokens", status, *context);
    for (const std::string& id : response.token_ids()) deps_.verify_cache->OnRevoked(id);
    TG_LOG(Info) << "request_id=" << request.request_id() << " admin=" << admin->user_name
                 << " revoked " << response.revoked_count() << " personal tokens of user=" << user;
    return HttpResponse::Json(200, RevokedUserTokensJson(response));
  }

 private:
  // The refusal to send, or nullopt with `admin` set. Personal tokens are
  // refused like every other management credential: they never carry the role.
  std::optional<HttpResponse> Admin(const HttpRequest& request, std::optional<Caller>* admin) const {
    AuthResult auth = deps_.authenticator->AuthenticateHuman(request);
    if (!auth.caller) return auth.error;
    if (!auth.caller->admin) {
      TG_LOG(Info) << "request_id=" << request.request_id() << " user=" << auth.caller->user_name
                   << " refused " << request.route() << ": not an admin";
      return Forbidden(kAdminOnly, absl::StrCat("User '", auth.caller->user_name,
                                                "' does not have the administrator role"));
    }
    *admin = std::move(auth.caller);
    return std::nullopt;
  }

  const PersonalTokensRoutesDeps deps_;
};

}  // namespace

void AddAdminRoutes(Router& router, PersonalTokensRoutesDeps deps) {
  auto routes = std::make_shared<AdminRoutes>(std::move(deps));
  router.Add(Method::Get, "/v1/admin/personal-tokens", [routes](const HttpRequest& r) { return routes->List(r); });
  router.Add(Method::Post, "/v1/admin/users/{user_name}/revoke-tokens",
             [routes](const HttpRequest& r) { return routes->RevokeUserTokens(r); });
}

}  // namespace tokengate
