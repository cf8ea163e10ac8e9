#include "services/api/auth/users_routes.h"

#include "common/base/json_writer.h"

namespace tokengate {

void AddUsersRoutes(Router& router, const Authenticator* authenticator) {
  router.Add(HttpMethod::kGet, "/v1/users/me", [authenticator](const HttpRequest& request) {
    AuthResult auth = authenticator->Authenticate(request);
    if (!auth.caller) return auth.error;
    JsonWriter json;
    json.BeginObject();
    json.Field("name", auth.caller->user_name);
    json.EndObject();
    return HttpResponse::Json(200, json.Take());
  });
}

}  // namespace tokengate
