#include "services/consumer/lineage_writer.h"

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"

namespace tokengate {
namespace {

using Param = std::optional<std::string>;
using LocationKey = std::pair<std::string, std::string>;  // (type, name)
using NamedKey = std::pair<int64_t, std::string>;         // (location id, name)

// A PostgreSQL array literal ({"a","b",NULL}) for unnest($n::type[]): the
// whole batch travels as a few parameters instead of thousands.
class ArrayParam {
 public:
  void Add(const Param& value) {
    text_ += text_.empty() ? "{" : ",";
    if (!value) {
      text_ += "NULL";
      return;
    }
    text_ += '"';
    for (char c : *value) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void Add(int64_t value) { Add(Param(absl::StrCat(value))); }
  std::string Take() { return text_.empty() ? "{}" : std::move(text_) + "}"; }

 private:
  std::string text_;
};

Param TimeParam(const std::optional<absl::Time>& time) {
  if (!time) return std::nullopt;
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", *time, absl::UTCTimeZone());
}

int64_t AffectedRows(const PgResult& result) {
  int64_t rows = 0;
  (void)absl::SimpleAtoi(PQcmdTuples(const_cast<PGresult*>(result.raw())), &rows);
  return rows;
}

struct JobRef {
  LocationKey location;
  std::string name;
  auto operator<=>(const JobRef&) const = default;
};

// One run's merged facts. Merge() mirrors the ON CONFLICT clause below, so
// merging in memory first and then in SQL equals applying events one by one.
struct RunRow {
  std::string id;
  absl::Time created_at;
  JobRef job;
  Param parent_run_id;
  RunStatus status = RunStatus::kUnknown;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> ended_at;
  Param external_id;
  Param attempt;
  Param running_log_url;
  Param persistent_log_url;
};

template <typename T>
std::optional<T> Least(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

void Merge(RunRow& into, const RunRow& next) {
  into.created_at = std::min(into.created_at, next.created_at);
  if (next.parent_run_id) into.parent_run_id = next.parent_run_id;
  if (next.status > into.status) {
    into.ended_at = next.ended_at ? next.ended_at : into.ended_at;
  } else if (next.status == into.status && next.ended_at) {
    into.ended_at = into.ended_at ? std::max(*into.ended_at, *next.ended_at) : next.ended_at;
  }
  into.status = std::max(into.status, next.status);
  into.started_at = Least(into.started_at, next.started_at);
  for (auto [field, value] :
       {std::pair{&into.external_id, &next.external_id}, std::pair{&into.attempt, &next.attempt},
        std::pair{&into.running_log_url, &next.running_log_url},
        std::pair{&into.persistent_log_url, &next.persistent_log_url}}) {
    if (*value) *field = *value;
  }
}

// Run ids that are UUIDv7 carry their creation time; others use the event time.
absl::Time CreatedAt(const std::string& run_id, absl::Time event_time) {
  if (auto ms = UuidV7UnixMs(run_id)) return absl::FromUnixMillis(*ms);
  return event_time;
}

// Everything one batch touches, de-duplicated and sorted: concurrent
// consumers then take row locks in the same order and cannot deadlock.
struct BatchRows {
  std::map<LocationKey, std::set<std::string>> locations;  // → addresses
  std::map<JobRef, std::string> jobs;                      // → type
  std::set<std::pair<LocationKey, std::string>> datasets;
  std::map<std::string, RunRow> runs;
  std::set<std::pair<std::string, std::pair<LocationKey, std::string>>> inputs;
  std::set<std::pair<std::string, std::pair<LocationKey, std::string>>> outputs;
};

LocationKey AddLocation(BatchRows& rows, const LocationFact& location) {
  LocationKey key{location.type, location.name};
  rows.locations[key].insert(location.addresses.begin(), location.addresses.end());
  return key;
}

JobRef AddJob(BatchRows& rows, const JobFact& job) {
  JobRef ref{AddLocation(rows, job.location), job.name};
  auto [it, inserted] = rows.jobs.emplace(ref, job.type);
  if (!inserted && job.type != "UNKNOWN") it->second = job.type;
  return ref;
}

void AddRun(BatchRows& rows, RunRow row) {
  auto [it, inserted] = rows.runs.emplace(row.id, row);
  if (!inserted) Merge(it->second, row);
}

BatchRows Collect(const std::vector<const RunEventFacts*>& events) {
  BatchRows rows;
  for (const RunEventFacts* event : events) {
    RunRow run{.id = event->run_id,
               .created_at = CreatedAt(event->run_id, event->event_time),
               .job = AddJob(rows, event->job),
               .status = event->status,
               .started_at = event->started_at,
               .ended_at = event->ended_at,
               .external_id = event->external_id,
               .attempt = event->attempt,
               .running_log_url = event->running_log_url,
               .persistent_log_url = event->persistent_log_url};
    if (event->parent) {
      run.parent_run_id = event->parent->run_id;
      // The parent is a run too (an Airflow task of a DAG run, a Spark job of
      // its application), even before — or without — its own events.
      AddRun(rows, RunRow{.id = event->parent->run_id,
                          .created_at = CreatedAt(event->parent->run_id, event->event_time),
                          .job = AddJob(rows, event->parent->job)});
    }
    AddRun(rows, std::move(run));
    for (auto [facts, links] :
         {std::pair{&event->inputs, &rows.inputs}, std::pair{&event->outputs, &rows.outputs}}) {
      for (const DatasetFact& dataset : *facts) {
        std::pair<LocationKey, std::string> key{AddLocation(rows, dataset.location), dataset.name};
        rows.datasets.insert(key);
        links->emplace(event->run_id, key);
      }
    }
  }
  return rows;
}

// Rows are never deleted, so an id missing after its upsert is a bug, not a race.
absl::Status AllFound(absl::string_view table, size_t found, size_t wanted) {
  if (found == wanted) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(table, ": ", wanted - found, " upserted rows not found"));
}

class BatchWriter {
 public:
  BatchWriter(PgConnection& conn, BatchRows rows) : conn_(conn), rows_(std::move(rows)) {}

  absl::StatusOr<int64_t> Write() {
    for (auto step : {&BatchWriter::WriteLocations, &BatchWriter::WriteAddresses, &BatchWriter::WriteDatasets,
                      &BatchWriter::WriteJobs, &BatchWriter::WriteRuns, &BatchWriter::WriteLinks}) {
      TG_RETURN_IF_ERROR((this->*step)());
    }
    return written_;
  }

 private:
  absl::StatusOr<PgResult> Exec(absl::string_view sql, const std::vector<PgParam>& params) {
    auto result = conn_.Exec(sql, params);
    if (result.ok()) written_ += AffectedRows(*result);
    return result;
  }

  absl::Status WriteLocations() {
    ArrayParam types, names;
    for (const auto& [key, addresses] : rows_.locations) {
      types.Add(key.first);
      names.Add(key.second);
    }
    const std::vector<PgParam> params = {types.Take(), names.Take()};
    TG_RETURN_IF_ERROR(
        Exec("INSERT INTO location (type, name) SELECT * FROM unnest($1::text[], $2::text[]) "
             "ON CONFLICT (type, name) DO NOTHING",
             params));
    // A separate statement: it sees rows a concurrent consumer committed
    // after the INSERT's snapshot (those the INSERT skipped).
    TG_ASSIGN_OR_RETURN(auto ids, conn_.Exec("SELECT l.id, l.type, l.name FROM location l "
                                             "JOIN unnest($1::text[], $2::text[]) AS k (type, name) "
                                             "ON l.type = k.type AND l.name = k.name",
                                             params));
    for (int i = 0; i < ids.rows(); ++i) {
      location_ids_[{std::string(ids.Get(i, 1)), std::string(ids.Get(i, 2))}] = ids.GetInt(i, 0);
    }
    return AllFound("location", location_ids_.size(), rows_.locations.size());
  }

  absl::Status WriteAddresses() {
    ArrayParam location_ids, urls;
    std::set<std::pair<int64_t, std::string>> sorted;
    for (const auto& [key, addresses] : rows_.locations) {
      for (const auto& url : addresses) sorted.emplace(location_ids_.at(key), url);
    }
    for (const auto& [id, url] : sorted) {
      location_ids.Add(id);
      urls.Add(url);
    }
    auto result = Exec(
        "INSERT INTO address (location_id, url) SELECT * FROM unnest($1::bigint[], $2::text[]) "
        "ON CONFLICT (location_id, url) DO NOTHING",
        {location_ids.Take(), urls.Take()});
    return result.status();
  }

  // Inserts (location_id, name) rows of `table` and reads their ids back.
  absl::Status UpsertNamed(absl::string_view table, const std::set<NamedKey>& keys,
                           absl::string_view insert_sql, std::vector<PgParam> extra,
                           std::map<NamedKey, int64_t>* ids) {
    ArrayParam location_ids, names;
    for (const auto& [location_id, name] : keys) {
      location_ids.Add(location_id);
      names.Add(name);
    }
    std::vector<PgParam> params = {location_ids.Take(), names.Take()};
    std::vector<PgParam> insert_params = params;
    insert_params.insert(insert_params.end(), extra.begin(), extra.end());
    if (auto inserted = Exec(insert_sql, insert_params); !inserted.ok()) return inserted.status();
    auto rows = conn_.Exec(absl::StrCat("SELECT t.id, t.location_id, t.name FROM ", table, " t ",
                                        "JOIN unnest($1::bigint[], $2::text[]) AS k (location_id, name) "
                                        "ON t.location_id = k.location_id AND t.name = k.name"),
                           params);
    if (!rows.ok()) return rows.status();
    for (int i = 0; i < rows->rows(); ++i) {
      (*ids)[{rows->GetInt(i, 1), std::string(rows->Get(i, 2))}] = rows->GetInt(i, 0);
    }
    return AllFound(table, ids->size(), keys.size());
  }

  absl::Status WriteDatasets() {
    std::set<NamedKey> keys;
    for (const auto& [location, name] : rows_.datasets) {
      keys.emplace(location_ids_.at(location), name);
    }
    return UpsertNamed("dataset", keys,
                       "INSERT INTO dataset (location_id, name) "
                       "SELECT * FROM unnest($1::bigint[], $2::text[]) "
                       "ON CONFLICT (location_id, name) DO NOTHING",
                       {}, &dataset_ids_);
  }

  absl::Status WriteJobs() {
    std::map<NamedKey, std::string> typed;
    for (const auto& [ref, type] : rows_.jobs) {
      typed[{location_ids_.at(ref.location), ref.name}] = type;
    }
    std::set<NamedKey> keys;
    ArrayParam types;
    for (const auto& [key, type] : typed) {
      keys.insert(key);
      types.Add(type);
    }
    // A known type replaces UNKNOWN (a parent job is first seen without its
    // facets), never the other way round.
    return UpsertNamed("job", keys,
                       "INSERT INTO job AS j (location_id, name, type) "
                       "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) "
                       "ON CONFLICT (location_id, name) DO UPDATE SET type = EXCLUDED.type "
                       "WHERE EXCLUDED.type <> 'UNKNOWN' AND j.type <> EXCLUDED.type",
                       {types.Take()}, &job_ids_);
  }

  int64_t JobId(const JobRef& ref) const { return job_ids_.at({location_ids_.at(ref.location), ref.name}); }

  absl::Status WriteRuns() {
    ArrayParam ids, created, jobs, parents, statuses, started, ended, external, attempts, running, persistent;
    for (const auto& [id, run] : rows_.runs) {
      ids.Add(id);
      created.Add(TimeParam(run.created_at));
      jobs.Add(JobId(run.job));
      parents.Add(run.parent_run_id);
      statuses.Add(static_cast<int64_t>(run.status));
      started.Add(TimeParam(run.started_at));
      ended.Add(TimeParam(run.ended_at));
      external.Add(run.external_id);
      attempts.Add(run.attempt);
      running.Add(run.running_log_url);
      persistent.Add(run.persistent_log_url);
    }
    // The merged values, written once and reused: the update is skipped when
    // nothing would change, so a replayed event writes no row version at all.
    static const std::string kMerged =
        "LEAST(r.created_at, EXCLUDED.created_at), "
        "COALESCE(EXCLUDED.parent_run_id, r.parent_run_id), "
        "GREATEST(r.status, EXCLUDED.status), "
        "LEAST(r.started_at, EXCLUDED.started_at), "
        "CASE WHEN EXCLUDED.status > r.status THEN COALESCE(EXCLUDED.ended_at, r.ended_at) "
        "     WHEN EXCLUDED.status < r.status THEN r.ended_at "
        "     ELSE GREATEST(r.ended_at, EXCLUDED.ended_at) END, "
        "COALESCE(EXCLUDED.external_id, r.external_id), "
        "COALESCE(EXCLUDED.attempt, r.attempt), "
        "COALESCE(EXCLUDED.running_log_url, r.running_log_url), "
        "COALESCE(EXCLUDED.persistent_log_url, r.persistent_log_url)";
    static const std::string kColumns =
        "created_at, parent_run_id, status, started_at, ended_at, external_id, attempt, "
        "running_log_url, persistent_log_url";
    static const std::string kSql = absl::StrCat(
        "INSERT INTO run AS r (id, job_id, ", kColumns, ") ",
        "SELECT id, job_id, created_at, parent_run_id, status, started_at, ended_at, external_id, "
        "attempt, running_log_url, persistent_log_url FROM unnest($1::uuid[], $2::timestamptz[], "
        "$3::bigint[], $4::uuid[], $5::smallint[], $6::timestamptz[], $7::timestamptz[], "
        "$8::text[], $9::text[], $10::text[], $11::text[]) AS k (id, created_at, job_id, "
        "parent_run_id, status, started_at, ended_at, external_id, attempt, running_log_url, "
        "persistent_log_url) "
        "ON CONFLICT (id) DO UPDATE SET (",
        kColumns, ") = ROW(", kMerged, ") ", "WHERE (r.", absl::StrReplaceAll(kColumns, {{", ", ", r."}}),
        ") IS DISTINCT FROM (", kMerged, ")");
    auto result =
        Exec(kSql, {ids.Take(), created.Take(), jobs.Take(), parents.Take(), statuses.Take(), started.Take(),
                    ended.Take(), external.Take(), attempts.Take(), running.Take(), persistent.Take()});
    return result.status();
  }

  absl::Status WriteLinks() {
    for (auto [links, table] : {std::pair{&rows_.inputs, "input"}, std::pair{&rows_.outputs, "output"}}) {
      if (links->empty()) continue;
      ArrayParam runs, datasets;
      std::set<std::pair<std::string, int64_t>> sorted;
      for (const auto& [run_id, dataset] : *links) {
        sorted.emplace(run_id, dataset_ids_.at({location_ids_.at(dataset.first), dataset.second}));
      }
      for (const auto& [run_id, dataset_id] : sorted) {
        runs.Add(run_id);
        datasets.Add(dataset_id);
      }
      TG_RETURN_IF_ERROR(Exec(absl::StrCat("INSERT INTO ", table, " (run_id, dataset_id) ",
                                           "SELECT * FROM unnest($1::uuid[], $2::bigint[]) ",
                                           "ON CONFLICT (run_id, dataset_id) DO NOTHING"),
                              {runs.Take(), datasets.Take()}));
    }
    return absl::OkStatus();
  }

  PgConnection& conn_;
  BatchRows rows_;
  std::map<LocationKey, int64_t> location_ids_;
  std::map<NamedKey, int64_t> dataset_ids_;
  std::map<NamedKey, int64_t> job_ids_;
  int64_t written_ = 0;
};

}  // namespace

absl::StatusOr<int64_t> WriteLineageBatch(PgConnection& conn,
                                          const std::vector<const RunEventFacts*>& events) {
  if (events.empty()) return 0;
  BatchWriter writer(conn, Collect(events));
  return InTransaction(conn, [&] { return writer.Write(); });
}

}  // namespace tokengate
