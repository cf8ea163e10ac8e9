// Query-string parameters (already decoded, repeated names kept) → the query
// structs of lineage_queries.h, with Data.Rentgen's validation: unknown names,
// non-integers, bad UUIDs and dates, page < 1, page_size outside 1..50 and a
// search_query under 3 characters are INVALID_ARGUMENT naming the field and a
// pydantic code (common/base/field_error.h), ready for a 422.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/api/lineage/lineage_queries.h"

namespace tokengate {

// Same shape as common/http/url_encoded.h's UrlParams.
using LineageParams = std::vector<std::pair<std::string, std::string>>;

absl::StatusOr<LocationQuery> LocationQueryFromParams(const LineageParams& params);
absl::StatusOr<DatasetQuery> DatasetQueryFromParams(const LineageParams& params);
absl::StatusOr<JobQuery> JobQueryFromParams(const LineageParams& params);
absl::StatusOr<RunQuery> RunQueryFromParams(const LineageParams& params);

// The checks the List* functions also apply (so a struct built by hand is
// held to the same rules).
absl::Status ValidatePage(const PageRequest& page);
absl::Status ValidateSearchQuery(const std::optional<std::string>& search_query);

}  // namespace tokengate
