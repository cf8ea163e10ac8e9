#include "services/api/tokens/leak_report_routes.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/http/error_body.h"
#include "services/api/tokens/authority_errors.h"
#include "services/api/tokens/personal_token_messages.h"

namespace tokengate {
namespace {

HttpResponse Report(const LeakReportRoutesDeps& deps, const HttpRequest& request) {
  const std::string client = ClientAddressOf(request, *deps.trusted_proxies);
  if (auto wait = deps.limiter->Admit(client)) {
    return TooManyRequests("Too many leak reports from this address, retry later", *wait);
  }
  auto contents = ParseLeakReportBody(request.body());
  if (!contents.value) return InvalidRequest(contents.issues);

  v1::RevokeTokensByContentRequest rpc;
  for (auto& content : *contents.value) rpc.add_contents(std::move(content));
  v1::Actor* actor = rpc.mutable_actor();
  actor->set_client_address(client);
  actor->set_user_agent(UserAgentOf(request));
  actor->set_request_id(request.request_id());
  v1::RevokeTokensByContentResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deps.deadline));
  grpc::Status status = deps.authority->RevokeTokensByContent(&context, rpc, &response);
  if (!status.ok()) return HttpErrorFromAuthority(status, context, deps.retry_after);
  TG_LOG(Info) << "request_id=" << request.request_id() << " leak report of " << rpc.contents_size()
               << " contents from " << client;
  return HttpResponse::Json(200, kLeakReportAnswer);
}

}  // namespace

void AddLeakReportRoutes(Router& router, LeakReportRoutesDeps deps) {
  router.Add(HttpMethod::kPost, "/v1/personal-tokens/revoke",
             [deps](const HttpRequest& request) { return Report(deps, request); });
}

}  // namespace tokengate
