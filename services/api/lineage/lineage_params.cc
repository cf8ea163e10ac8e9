#include "services/api/lineage/lineage_params.h"

#include <algorithm>
#include <functional>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/field_error.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"

namespace tokengate {
namespace {

constexpr int kMaxPageSize = 50;
constexpr size_t kMinSearchChars = 3;
constexpr const char* kStatuses[] = {"UNKNOWN", "STARTED", "SUCCEEDED", "FAILED", "KILLED"};

size_t Utf8Chars(absl::string_view text) {
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return chars;
}

absl::StatusOr<int64_t> ParseInt(absl::string_view field, absl::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return InvalidField(field, "int_parsing",
                        "Input should be a valid integer, unable to parse string as an integer");
  }
  return value;
}

// ISO 8601 date-time (offset optional: UTC) or a date (its midnight, UTC),
// from the Unix epoch on: run ids are UUIDv7, whose timestamps start there, so
// no run is older; earlier years also used to reach PostgreSQL unpadded
// ("50-01-01"), a 500 or a misread date.
absl::StatusOr<absl::Time> ParseDateTime(absl::string_view field, absl::string_view text) {
  static const char* const kFormats[] = {"%Y-%m-%d%ET%H:%M:%E*S%Ez", "%Y-%m-%d%ET%H:%M:%E*S",
                                         "%Y-%m-%d%ET%H:%M%Ez", "%Y-%m-%d"};
  for (const char* format : kFormats) {
    absl::Time time;
    std::string error;
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &time, &error)) {
      const int64_t year = absl::ToCivilYear(time, absl::UTCTimeZone()).year();
      if (year > 9999) break;
      if (time < absl::UnixEpoch()) {
        return InvalidField(field, "greater_than_equal",
                            "Input should be greater than or equal to 1970-01-01T00:00:00Z");
      }
      return time;
    }
  }
  return InvalidField(field, "datetime_from_date_parsing", "Input should be a valid datetime or date");
}

// One handler per accepted name; anything else is "extra_forbidden".
using Setter = std::function<absl::Status(const std::string& field, const std::string& value)>;

absl::Status Apply(const LineageParams& params, const std::map<std::string, Setter>& setters) {
  std::map<std::string, size_t> counts;
  for (const auto& [name, value] : params) {
    auto it = setters.find(name);
    if (it == setters.end()) {
      return InvalidField(name, "extra_forbidden", "Extra inputs are not permitted");
    }
    if (++counts[name] > kMaxFilterValues) {
      return InvalidField(
          name, "too_long",
          absl::StrCat("List should have at most ", kMaxFilterValues, " items after validation"));
    }
    TG_RETURN_IF_ERROR(it->second(name, value));
  }
  return absl::OkStatus();
}

void AddPageSetters(PageRequest* page, std::map<std::string, Setter>* setters) {
  // Clamped, not wrapped: 2^40 must stay "too big", never become small.
  const auto setter = [](int* target) -> Setter {
    return [target](const std::string& field, const std::string& value) -> absl::Status {
      TG_ASSIGN_OR_RETURN(auto n, ParseInt(field, value));
      *target = static_cast<int>(std::clamp<int64_t>(n, -1, 1 << 30));
      return absl::OkStatus();
    };
  };
  (*setters)["page"] = setter(&page->page);
  (*setters)["page_size"] = setter(&page->page_size);
}

Setter Ints(std::vector<int64_t>* out) {
  return [out](const std::string& field, const std::string& value) -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto n, ParseInt(field, value));
    out->push_back(n);
    return absl::OkStatus();
  };
}

Setter Uuids(std::vector<std::string>* out) {
  return [out](const std::string& field, const std::string& value) -> absl::Status {
    auto uuid = CanonicalUuid(value);
    if (!uuid) return InvalidField(field, "uuid_parsing", "Input should be a valid UUID");
    out->push_back(*uuid);
    return absl::OkStatus();
  };
}

Setter Strings(std::vector<std::string>* out) {
  return [out](const std::string&, const std::string& value) -> absl::Status {
    out->push_back(value);
    return absl::OkStatus();
  };
}

Setter Text(std::optional<std::string>* out) {
  return [out](const std::string&, const std::string& value) -> absl::Status {
    *out = value;
    return absl::OkStatus();
  };
}

Setter DateTime(std::optional<absl::Time>* out) {
  return [out](const std::string& field, const std::string& value) -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto time, ParseDateTime(field, value));
    *out = time;
    return absl::OkStatus();
  };
}

Setter Statuses(std::vector<std::string>* out) {
  return [out](const std::string& field, const std::string& value) -> absl::Status {
    for (const char* status : kStatuses) {
      if (value == status) {
        out->push_back(value);
        return absl::OkStatus();
      }
    }
    return InvalidField(field, "enum",
                        "Input should be 'UNKNOWN', 'STARTED', 'SUCCEEDED', 'FAILED' or 'KILLED'");
  };
}

template <typename Query>
absl::StatusOr<Query> Finish(Query query, absl::Status status) {
  if (!status.ok()) return status;
  TG_RETURN_IF_ERROR(ValidatePage(query.page));
  TG_RETURN_IF_ERROR(ValidateSearchQuery(query.search_query));
  return query;
}

}  // namespace

absl::Status ValidatePage(const PageRequest& page) {
  if (page.page < 1) return InvalidField("page", "greater_than", "Input should be greater than 0");
  if (page.page_size < 1) {
    return InvalidField("page_size", "greater_than", "Input should be greater than 0");
  }
  if (page.page_size > kMaxPageSize) {
    return InvalidField("page_size", "less_than_equal",
                        absl::StrCat("Input should be less than or equal to ", kMaxPageSize));
  }
  return absl::OkStatus();
}

absl::Status ValidateSearchQuery(const std::optional<std::string>& search_query) {
  if (search_query && Utf8Chars(*search_query) < kMinSearchChars) {
    return InvalidField("search_query", "string_too_short",
                        absl::StrCat("String should have at least ", kMinSearchChars, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LocationQuery> LocationQueryFromParams(const LineageParams& params) {
  LocationQuery query;
  std::map<std::string, Setter> setters = {{"location_id", Ints(&query.location_id)},
                                           {"location_type", Strings(&query.location_type)},
                                           {"search_query", Text(&query.search_query)}};
  AddPageSetters(&query.page, &setters);
  absl::Status status = Apply(params, setters);
  return Finish(std::move(query), status);
}

absl::StatusOr<DatasetQuery> DatasetQueryFromParams(const LineageParams& params) {
  DatasetQuery query;
  std::map<std::string, Setter> setters = {{"dataset_id", Ints(&query.dataset_id)},
                                           {"location_id", Ints(&query.location_id)},
                                           {"location_type", Strings(&query.location_type)},
                                           {"search_query", Text(&query.search_query)}};
  AddPageSetters(&query.page, &setters);
  absl::Status status = Apply(params, setters);
  return Finish(std::move(query), status);
}

absl::StatusOr<JobQuery> JobQueryFromParams(const LineageParams& params) {
  JobQuery query;
  std::map<std::string, Setter> setters = {{"job_id", Ints(&query.job_id)},
                                           {"job_type", Strings(&query.job_type)},
                                           {"location_id", Ints(&query.location_id)},
                                           {"location_type", Strings(&query.location_type)},
                                           {"search_query", Text(&query.search_query)}};
  AddPageSetters(&query.page, &setters);
  absl::Status status = Apply(params, setters);
  return Finish(std::move(query), status);
}

absl::StatusOr<RunQuery> RunQueryFromParams(const LineageParams& params) {
  RunQuery query;
  std::map<std::string, Setter> setters = {{"since", DateTime(&query.since)},
                                           {"until", DateTime(&query.until)},
                                           {"run_id", Uuids(&query.run_id)},
                                           {"job_id", Ints(&query.job_id)},
                                           {"parent_run_id", Uuids(&query.parent_run_id)},
                                           {"status", Statuses(&query.status)},
                                           {"job_type", Strings(&query.job_type)},
                                           {"search_query", Text(&query.search_query)}};
  AddPageSetters(&query.page, &setters);
  absl::Status status = Apply(params, setters);
  if (status.ok() && query.since && query.until && *query.since >= *query.until) {
    status = InvalidField("until", "value_error", "Value error, 'since' should be less than 'until'");
  }
  return Finish(std::move(query), status);
}

}  // namespace tokengate
