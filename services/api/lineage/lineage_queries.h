// The read side of the lineage tables: the SQL and JSON behind GET
// /v1/locations, /v1/datasets, /v1/jobs and /v1/runs, in Data.Rentgen's shapes
// ({"meta": {page, page_size, total_count, pages_count, has_next, has_previous,
// next_page, previous_page}, "items": [{"id", "data": {...}}, ...]}).
// Pure functions of (pool, query): no HTTP here. Errors: INVALID_ARGUMENT with
// field_error.h payloads (→ 422), UNAVAILABLE when PostgreSQL is away (→ 503).
//
// Intended wiring in the api edge (common/http/router.h):
//
//   router.Add(HttpMethod::kGet, "/v1/datasets", [&pool](const HttpRequest& request) {
//     // Repeated names (dataset_id=1&dataset_id=2) must survive: decode the raw
//     // query string with ParseUrlEncoded, not a one-value-per-name map.
//     auto query = DatasetQueryFromParams(ParseUrlEncoded(raw_query_of(request)));
//     if (!query.ok()) return InvalidRequest(IssuesFrom(query.status()));   // 422
//     auto body = ListDatasets(pool, *query);
//     if (!body.ok()) return StatusToResponse(body.status());              // 503 / 500
//     return HttpResponse::Json(200, *std::move(body));
//   });
//   // …and the same for /v1/locations (LocationQueryFromParams, ListLocations),
//   // /v1/jobs (JobQueryFromParams, ListJobs), /v1/runs (RunQueryFromParams, ListRuns),
//   // after the caller is authenticated (personal token with all:read, or a login).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/postgres.h"

namespace tokengate {

struct PageRequest {
  int page = 1;        // ≥ 1
  int page_size = 20;  // 1..50
};

// namespaces (in every query): the patterns of a personal token limited to
// namespaces (issue 21); only locations whose namespace matches one, and the
// datasets, jobs and runs in them, are listed and counted. Empty: no limit.
// search_query: a case-insensitive substring (≥ 3 characters, as Data.Rentgen
// asks, so the trigram indexes apply); '%' and '_' in it are literal.
struct LocationQuery {
  PageRequest page;
  std::vector<std::string> namespaces;
  std::vector<int64_t> location_id;
  std::vector<std::string> location_type;
  std::optional<std::string> search_query;  // Location name or any address.
};

struct DatasetQuery {
  PageRequest page;
  std::vector<std::string> namespaces;
  std::vector<int64_t> dataset_id;
  std::vector<int64_t> location_id;
  std::vector<std::string> location_type;
  std::optional<std::string> search_query;  // Dataset name, location name or address.
};

struct JobQuery {
  PageRequest page;
  std::vector<std::string> namespaces;
  std::vector<int64_t> job_id;
  std::vector<std::string> job_type;
  std::vector<int64_t> location_id;
  std::vector<std::string> location_type;
  std::optional<std::string> search_query;  // Job name, location name or address.
};

struct RunQuery {
  PageRequest page;
  std::vector<std::string> namespaces;
  std::optional<absl::Time> since;  // created_at ≥ since
  std::optional<absl::Time> until;  // created_at ≤ until
  std::vector<std::string> run_id;  // UUIDs
  std::vector<int64_t> job_id;
  std::vector<std::string> parent_run_id;  // UUIDs
  std::vector<std::string> status;         // UNKNOWN, STARTED, SUCCEEDED, FAILED, KILLED
  std::vector<std::string> job_type;
  std::optional<std::string> search_query;  // External id or job name.
};

// Most values one id/type filter may list (each becomes a statement parameter).
inline constexpr size_t kMaxFilterValues = 100;

absl::StatusOr<std::string> ListLocations(PgPool& pool, const LocationQuery& query);
absl::StatusOr<std::string> ListDatasets(PgPool& pool, const DatasetQuery& query);
absl::StatusOr<std::string> ListJobs(PgPool& pool, const JobQuery& query);
absl::StatusOr<std::string> ListRuns(PgPool& pool, const RunQuery& query);

// Data.Rentgen's page meta for `items_on_page` items of `total_count`.
std::string PageMetaJson(const PageRequest& page, int64_t total_count, int64_t items_on_page);

}  // namespace tokengate
