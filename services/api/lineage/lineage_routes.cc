#include "services/api/lineage/lineage_routes.h"

#include "common/base/field_error.h"
#include "common/base/log.h"
#include "common/http/error_body.h"
#include "services/api/lineage/lineage_params.h"
#include "services/api/lineage/lineage_queries.h"

namespace tokengate {
namespace {

// A query struct's StatusOr → the REST error, mapped once here.
HttpResponse ErrorOf(const absl::Status& status, absl::Duration retry_after) {
  if (absl::IsInvalidArgument(status)) {
    FieldIssue issue{.location = {"query", PayloadOf(status, kFieldPayload).value_or("query")},
                     .code = PayloadOf(status, kCodePayload).value_or("value_error"),
                     .message = std::string(status.message())};
    return InvalidRequest({issue});
  }
  if (absl::IsUnavailable(status)) {
    return ServiceUnavailable("The lineage database is unavailable, retry later", retry_after);
  }
  TG_LOG(Error) << "lineage query failed: " << status.message();
  return InternalError();
}

template <typename ParseFn, typename ListFn>
void AddListRoute(Router& router, const char* path, const LineageRoutesDeps& deps, ParseFn parse,
                  ListFn list) {
  router.Add(HttpMethod::kGet, path, [deps, parse, list](const HttpRequest& request) {
    AuthResult auth = deps.authenticator->Authenticate(request);
    if (!auth.caller) return auth.error;
    if (!auth.caller->may_read) {
      return Forbidden("Token has no all:read scope");
    }
    auto query = parse(request.query());
    if (!query.ok()) return ErrorOf(query.status(), deps.retry_after);
    query->namespaces = auth.caller->namespaces;
    auto body = list(*deps.pool, *query);
    if (!body.ok()) return ErrorOf(body.status(), deps.retry_after);
    return HttpResponse::Json(200, *std::move(body));
  });
}

}  // namespace

void AddLineageRoutes(Router& router, const LineageRoutesDeps& deps) {
  AddListRoute(router, "/v1/locations", deps, LocationQueryFromParams, ListLocations);
  AddListRoute(router, "/v1/datasets", deps, DatasetQueryFromParams, ListDatasets);
  AddListRoute(router, "/v1/jobs", deps, JobQueryFromParams, ListJobs);
  AddListRoute(router, "/v1/runs", deps, RunQueryFromParams, ListRuns);
}

}  // namespace tokengate
