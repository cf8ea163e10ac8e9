#include "services/consumer/event_parser.h"

#include <simdjson.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"

namespace tokengate {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

absl::Status Malformed(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// What Python's urllib.parse.urlsplit calls the scheme: letters, digits, "+-.",
// starting with a letter, before the first ':'. Data.Rentgen derives location
// types from it, so ours match.
absl::string_view SchemeOf(absl::string_view url) {
  const size_t colon = url.find(':');
  if (colon == absl::string_view::npos || colon == 0 || !absl::ascii_isalpha(url[0])) return {};
  for (char c : url.substr(0, colon)) {
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return url.substr(0, colon);
}

// The authority part ("//host:port") when present, else the path, as urlsplit's
// `netloc or path`. User info is dropped: a password in a namespace must not be
// stored or shown.
std::string HostPartOf(absl::string_view rest) {
  if (absl::StartsWith(rest, "//")) {
    absl::string_view netloc = rest.substr(2);
    netloc = netloc.substr(0, netloc.find_first_of("/?#"));
    if (!netloc.empty()) {
      const size_t at = netloc.rfind('@');
      if (at != absl::string_view::npos) netloc = netloc.substr(at + 1);
      return std::string(netloc);
    }
    rest = rest.substr(2);
  }
  return std::string(rest.substr(0, rest.find_first_of("?#")));
}

LocationFact LocationOf(absl::string_view ns, bool many_hosts) {
  // Scheme and host are case-insensitive; lower-case them so one place is one row.
  const std::string lowered = absl::AsciiStrToLower(ns);
  absl::string_view url = lowered;
  const absl::string_view scheme = SchemeOf(url);
  const absl::string_view rest = scheme.empty() ? url : url.substr(scheme.size() + 1);
  LocationFact location;
  location.type = scheme.empty() ? "unknown" : std::string(scheme);
  const std::string host_part = HostPartOf(rest);
  std::vector<std::string> hosts;
  if (many_hosts) {
    hosts = absl::StrSplit(host_part, ',', absl::SkipEmpty());
  } else if (!host_part.empty()) {
    hosts.push_back(host_part);
  }
  if (hosts.empty()) hosts.push_back("unknown");
  location.name = hosts.front();
  for (const auto& host : hosts) {
    std::string address = absl::StrCat(location.type, "://", host);
    if (std::find(location.addresses.begin(), location.addresses.end(), address) ==
        location.addresses.end()) {
      location.addresses.push_back(std::move(address));
    }
  }
  return location;
}

// A string member; NOT_FOUND when absent or null, INVALID_ARGUMENT when not a string.
absl::StatusOr<absl::string_view> StringMember(const object& parent, const char* key,
                                               absl::string_view path) {
  element value;
  if (parent.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) {
    return absl::NotFoundError(absl::StrCat(path, " is missing"));
  }
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return Malformed(path, "must be a string");
  }
  return View(text);
}

absl::StatusOr<absl::string_view> RequiredString(const object& parent, const char* key,
                                                 absl::string_view path, size_t max_bytes) {
  auto text = StringMember(parent, key, path);
  if (!text.ok()) {
    return absl::IsNotFound(text.status()) ? Malformed(path, "is required") : text.status();
  }
  if (text->empty()) return Malformed(path, "must not be empty");
  if (text->size() > max_bytes) {
    return Malformed(path, absl::StrCat("longer than ", max_bytes, " bytes"));
  }
  // PostgreSQL text cannot hold NUL; JSON can ("\u0000").
  if (absl::StrContains(*text, absl::string_view("\0", 1))) return Malformed(path, "contains NUL");
  return text;
}

// Optional facet strings (ids, URLs): absent, null, non-strings and NUL-bearing
// values are ignored rather than failing the whole event.
std::optional<std::string> OptionalString(const object& parent, const char* key) {
  element value;
  if (parent.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    if (text.empty() || text.size() > kMaxNameBytes || text.find('\0') != std::string_view::npos) {
      return std::nullopt;
    }
    return std::string(text);
  }
  int64_t number = 0;
  if (value.get_int64().get(number) == simdjson::SUCCESS) return absl::StrCat(number);
  return std::nullopt;
}

std::optional<object> OptionalObject(const object& parent, const char* key) {
  object child;
  if (parent.at_key(key).get(child) != simdjson::SUCCESS) return std::nullopt;
  return child;
}

absl::StatusOr<object> RequiredObject(const object& parent, const char* key, absl::string_view path) {
  element value;
  if (parent.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) {
    return Malformed(path, "is required");
  }
  object child;
  if (value.get_object().get(child) != simdjson::SUCCESS) {
    return Malformed(path, "must be an object");
  }
  return child;
}

absl::StatusOr<std::string> RunIdOf(const object& run, absl::string_view path) {
  TG_ASSIGN_OR_RETURN(auto text, RequiredString(run, "runId", path, 64));
  auto uuid = CanonicalUuid(text);
  if (!uuid) return Malformed(path, "must be a UUID");
  return *uuid;
}

absl::StatusOr<JobFact> JobOf(const object& job, absl::string_view path) {
  TG_ASSIGN_OR_RETURN(auto ns,
                      RequiredString(job, "namespace", absl::StrCat(path, ".namespace"), kMaxNamespaceBytes));
  TG_ASSIGN_OR_RETURN(auto name, RequiredString(job, "name", absl::StrCat(path, ".name"), kMaxNameBytes));
  JobFact fact{.location = JobLocation(ns), .name = std::string(name), .type = "UNKNOWN"};
  if (auto facets = OptionalObject(job, "facets")) {
    if (auto job_type = OptionalObject(*facets, "jobType")) {
      auto integration = OptionalString(*job_type, "integration");
      auto type = OptionalString(*job_type, "jobType");
      // Spark reports SQL_JOB and RDD_JOB; Data.Rentgen files both as JOB.
      if (type && (*type == "SQL_JOB" || *type == "RDD_JOB")) type = "JOB";
      if (integration) {
        fact.type = absl::AsciiStrToUpper(type ? absl::StrCat(*integration, "_", *type) : *integration);
      }
    }
  }
  return fact;
}

absl::Status DatasetsOf(const object& event, const char* key, std::vector<DatasetFact>* out) {
  element value;
  if (event.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return absl::OkStatus();
  simdjson::dom::array items;
  if (value.get_array().get(items) != simdjson::SUCCESS) return Malformed(key, "must be an array");
  size_t index = 0;
  for (element item : items) {
    const std::string path = absl::StrCat(key, "[", index++, "]");
    object dataset;
    if (item.get_object().get(dataset) != simdjson::SUCCESS) {
      return Malformed(path, "must be an object");
    }
    TG_ASSIGN_OR_RETURN(
        auto ns, RequiredString(dataset, "namespace", absl::StrCat(path, ".namespace"), kMaxNamespaceBytes));
    TG_ASSIGN_OR_RETURN(auto name,
                        RequiredString(dataset, "name", absl::StrCat(path, ".name"), kMaxNameBytes));
    out->push_back(DatasetFact{.location = DatasetLocation(ns), .name = std::string(name)});
  }
  return absl::OkStatus();
}

std::optional<RunStatus> StatusOfEventType(absl::string_view type) {
  if (type == "START" || type == "RUNNING") return RunStatus::kStarted;
  if (type == "COMPLETE") return RunStatus::kSucceeded;
  if (type == "FAIL") return RunStatus::kFailed;
  if (type == "ABORT") return RunStatus::kKilled;
  if (type == "OTHER") return RunStatus::kUnknown;
  return std::nullopt;
}

// External id, attempt and log URLs from the Spark and Airflow run facets, as
// Data.Rentgen reads them.
void ReadRunFacets(const object& facets, RunEventFacts* facts) {
  if (auto spark = OptionalObject(facets, "spark_applicationDetails")) {
    facts->external_id = OptionalString(*spark, "applicationId");
    facts->running_log_url = OptionalString(*spark, "proxyUrl");
    if (!facts->running_log_url) facts->running_log_url = OptionalString(*spark, "uiWebUrl");
    facts->persistent_log_url = OptionalString(*spark, "historyUrl");
  }
  for (const char* key : {"airflowDagRun", "airflow"}) {
    auto airflow = OptionalObject(facets, key);
    if (!airflow) continue;
    if (auto dag_run = OptionalObject(*airflow, "dagRun")) {
      if (auto run_id = OptionalString(*dag_run, "run_id")) facts->external_id = run_id;
    }
    if (auto task_instance = OptionalObject(*airflow, "taskInstance")) {
      if (auto try_number = OptionalString(*task_instance, "try_number")) {
        facts->attempt = try_number;
      }
      if (auto log_url = OptionalString(*task_instance, "log_url")) {
        facts->persistent_log_url = log_url;
      }
    }
  }
}

}  // namespace

LocationFact DatasetLocation(absl::string_view ns) {
  // OpenLineage clients write plain "file" for local files.
  return LocationOf(absl::EqualsIgnoreCase(ns, "file") ? "file://" : ns, /*many_hosts=*/true);
}

LocationFact JobLocation(absl::string_view ns) { return LocationOf(ns, /*many_hosts=*/false); }

absl::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kStarted: return "STARTED";
    case RunStatus::kSucceeded: return "SUCCEEDED";
    case RunStatus::kFailed: return "FAILED";
    case RunStatus::kKilled: return "KILLED";
    case RunStatus::kUnknown: break;
  }
  return "UNKNOWN";
}

std::optional<absl::Time> ParseEventTime(absl::string_view text) {
  static const char* const kFormats[] = {"%Y-%m-%d%ET%H:%M:%E*S%Ez", "%Y-%m-%d%ET%H:%M:%E*S%z",
                                         "%Y-%m-%d%ET%H:%M:%E*S"};
  for (const char* format : kFormats) {
    absl::Time time;
    std::string error;
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &time, &error)) {
      // Inside PostgreSQL's timestamptz range with room to spare.
      const int64_t year = absl::ToCivilYear(time, absl::UTCTimeZone()).year();
      if (year < 1 || year > 9999) return std::nullopt;
      return time;
    }
  }
  return std::nullopt;
}

absl::StatusOr<RunEventFacts> ParseRunEvent(absl::string_view json) {
  // One parser per thread: it keeps its buffers between messages.
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
  }
  object event;
  if (root.get_object().get(event) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("event: must be a JSON object");
  }

  RunEventFacts facts;
  TG_ASSIGN_OR_RETURN(auto event_time, RequiredString(event, "eventTime", "eventTime", 64));
  auto time = ParseEventTime(event_time);
  if (!time) return Malformed("eventTime", "must be an ISO 8601 date-time");
  facts.event_time = *time;

  TG_ASSIGN_OR_RETURN(auto event_type, RequiredString(event, "eventType", "eventType", 16));
  auto status = StatusOfEventType(event_type);
  if (!status) {
    return Malformed("eventType", "must be START, RUNNING, COMPLETE, ABORT, FAIL or OTHER");
  }
  facts.status = *status;
  if (event_type == "START") facts.started_at = facts.event_time;
  if (facts.status == RunStatus::kSucceeded || facts.status == RunStatus::kFailed ||
      facts.status == RunStatus::kKilled) {
    facts.ended_at = facts.event_time;
  }

  TG_ASSIGN_OR_RETURN(auto run, RequiredObject(event, "run", "run"));
  TG_ASSIGN_OR_RETURN(facts.run_id, RunIdOf(run, "run.runId"));

  TG_ASSIGN_OR_RETURN(auto job, RequiredObject(event, "job", "job"));
  TG_ASSIGN_OR_RETURN(facts.job, JobOf(job, "job"));

  if (auto facets = OptionalObject(run, "facets")) {
    element parent_value;
    if (facets->at_key("parent").get(parent_value) == simdjson::SUCCESS && !parent_value.is_null()) {
      object parent;
      if (parent_value.get_object().get(parent) != simdjson::SUCCESS) {
        return Malformed("run.facets.parent", "must be an object");
      }
      TG_ASSIGN_OR_RETURN(auto parent_run, RequiredObject(parent, "run", "run.facets.parent.run"));
      TG_ASSIGN_OR_RETURN(auto parent_id, RunIdOf(parent_run, "run.facets.parent.run.runId"));
      TG_ASSIGN_OR_RETURN(auto parent_job, RequiredObject(parent, "job", "run.facets.parent.job"));
      TG_ASSIGN_OR_RETURN(auto parent_job_fact, JobOf(parent_job, "run.facets.parent.job"));
      if (parent_id != facts.run_id) {
        facts.parent = ParentRunFact{.run_id = std::move(parent_id), .job = std::move(parent_job_fact)};
      }
    }
    ReadRunFacets(*facets, &facts);
  }

  TG_RETURN_IF_ERROR(DatasetsOf(event, "inputs", &facts.inputs));
  TG_RETURN_IF_ERROR(DatasetsOf(event, "outputs", &facts.outputs));
  return facts;
}

}  // namespace tokengate
