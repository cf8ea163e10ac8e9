#include "services/api/auth/actor.h"

namespace tokengate {

v1::Actor ActorOf(const Caller& caller, const HttpRequest& request, const TrustedProxies& trusted) {
  v1::Actor actor;
  actor.set_name(caller.user_name);
  actor.set_email(caller.email);
  actor.set_admin(caller.admin);
  actor.set_client_address(ClientAddressOf(request, trusted));
  actor.set_user_agent(UserAgentOf(request));
  actor.set_request_id(request.request_id());
  for (const auto& name : caller.managed_service_accounts) actor.add_managed_service_accounts(name);
  return actor;
}

}  // namespace tokengate
