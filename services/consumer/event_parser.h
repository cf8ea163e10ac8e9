// OpenLineage RunEvent JSON → the lineage facts the consumer stores: locations
// (from namespaces), datasets, the job, the run (and its parent). Pure: no I/O.
// Anything the database could reject (bad time, NUL byte, over-long key) is
// rejected here, so one bad message can never block a whole batch.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokengate {

struct LocationFact {
  std::string type;                    // URL scheme, e.g. "hdfs"; "unknown" without one.
  std::string name;                    // Host (and port), e.g. "nn:8020".
  std::vector<std::string> addresses;  // "scheme://host", one per listed host.

  bool operator==(const LocationFact&) const = default;
};

// Dataset namespaces may list several hosts ("kafka://b1:9092,b2:9092"): the
// first names the location, each becomes an address. "file" means local files.
LocationFact DatasetLocation(absl::string_view ns);
// Job namespaces name one place (an Airflow URL, a Spark master, or a bare name).
LocationFact JobLocation(absl::string_view ns);

struct DatasetFact {
  LocationFact location;
  std::string name;
};

struct JobFact {
  LocationFact location;
  std::string name;
  std::string type;  // "SPARK_APPLICATION", … from the jobType facet; else "UNKNOWN".
};

// Data.Rentgen's run statuses; the numbers order them for merging.
enum class RunStatus : int {
  kUnknown = -1,
  kStarted = 0,
  kSucceeded = 1,
  kFailed = 2,
  kKilled = 3,
};
absl::string_view RunStatusName(RunStatus status);

struct ParentRunFact {
  std::string run_id;  // Canonical lowercase UUID.
  JobFact job;
};

struct RunEventFacts {
  std::string run_id;  // Canonical lowercase UUID.
  JobFact job;
  std::optional<ParentRunFact> parent;
  RunStatus status = RunStatus::kUnknown;
  absl::Time event_time;
  std::optional<absl::Time> started_at;    // START events only.
  std::optional<absl::Time> ended_at;      // COMPLETE, FAIL and ABORT events.
  std::optional<std::string> external_id;  // Spark application id, Airflow run id.
  std::optional<std::string> attempt;      // Airflow try number.
  std::optional<std::string> running_log_url;
  std::optional<std::string> persistent_log_url;
  std::vector<DatasetFact> inputs;
  std::vector<DatasetFact> outputs;
};

// Longest namespace and name accepted (bytes): unique btree keys must stay
// well under PostgreSQL's ~2.7 KB index row limit.
inline constexpr size_t kMaxNamespaceBytes = 1024;
inline constexpr size_t kMaxNameBytes = 1536;

// INVALID_ARGUMENT with a one-line reason (it becomes the `error` header of
// the malformed-message copy) when the event cannot be stored.
absl::StatusOr<RunEventFacts> ParseRunEvent(absl::string_view json);

// eventTime as OpenLineage clients write it: RFC 3339 with or without
// fractional seconds; a missing offset means UTC (Python's naive isoformat()).
std::optional<absl::Time> ParseEventTime(absl::string_view text);

}  // namespace tokengate
