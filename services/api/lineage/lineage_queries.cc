#include "services/api/lineage/lineage_queries.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/base/json_writer.h"
#include "common/base/status_macros.h"
#include "services/api/lineage/lineage_params.h"
#include "services/api/lineage/lineage_sql.h"

namespace tokengate {
namespace {

constexpr absl::string_view kStatusNames[] = {"UNKNOWN", "STARTED", "SUCCEEDED", "FAILED",
                                              "KILLED"};  // status -1..3

std::string IsoTime(absl::string_view column) {
  return absl::StrCat("to_char(", column, " AT TIME ZONE 'UTC', ", "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
}

struct Location {
  std::string id;
  std::string type;
  std::string name;
  std::optional<std::string> external_id;
  std::vector<std::string> addresses;
};

// The locations (with addresses) of `ids`, by id.
absl::StatusOr<std::map<std::string, Location>> FetchLocations(PgConnection& conn,
                                                               const std::vector<std::string>& ids) {
  std::map<std::string, Location> locations;
  if (ids.empty()) return locations;
  auto rows = conn.Exec("SELECT id, type, name, external_id FROM location WHERE id = ANY($1::bigint[])",
                        {IdArray(ids)});
  if (!rows.ok()) return rows.status();
  for (int i = 0; i < rows->rows(); ++i) {
    Location location{.id = std::string(rows->Get(i, 0)),
                      .type = std::string(rows->Get(i, 1)),
                      .name = std::string(rows->Get(i, 2))};
    if (!rows->IsNull(i, 3)) location.external_id = std::string(rows->Get(i, 3));
    locations.emplace(location.id, std::move(location));
  }
  TG_ASSIGN_OR_RETURN(auto addresses,
                      conn.Exec("SELECT location_id, url FROM address WHERE location_id = ANY($1::bigint[]) "
                                "ORDER BY location_id, url",
                                {IdArray(ids)}));
  for (int i = 0; i < addresses.rows(); ++i) {
    auto it = locations.find(std::string(addresses.Get(i, 0)));
    if (it != locations.end()) it->second.addresses.emplace_back(addresses.Get(i, 1));
  }
  return locations;
}

// {id → rows of `table` whose `column` is that id}, for statistics.
absl::StatusOr<std::map<std::string, int64_t>> CountBy(PgConnection& conn, absl::string_view table,
                                                       absl::string_view column, absl::string_view type,
                                                       const std::vector<std::string>& ids) {
  std::map<std::string, int64_t> counts;
  if (ids.empty()) return counts;
  auto rows = conn.Exec(absl::StrCat("SELECT ", column, ", count(*) FROM ", table, " WHERE ", column,
                                     " = ANY($1::", type, "[]) GROUP BY ", column),
                        {IdArray(ids)});
  if (!rows.ok()) return rows.status();
  for (int i = 0; i < rows->rows(); ++i) counts[std::string(rows->Get(i, 0))] = rows->GetInt(i, 1);
  return counts;
}

void WriteNullable(JsonWriter& json, absl::string_view key, const PageRows& rows, int row, int column) {
  json.Key(key);
  if (rows.IsNull(row, column)) {
    json.Null();
  } else {
    json.String(rows.Get(row, column));
  }
}

void WriteLocation(JsonWriter& json, const Location& location) {
  json.BeginObject();
  json.Field("id", location.id);
  json.Field("type", location.type);
  json.Field("name", location.name);
  json.Key("addresses");
  json.BeginArray();
  for (const auto& url : location.addresses) {
    json.BeginObject();
    json.Field("url", url);
    json.EndObject();
  }
  json.EndArray();
  json.Key("external_id");
  if (location.external_id) {
    json.String(*location.external_id);
  } else {
    json.Null();
  }
  json.EndObject();
}

// {"meta": …, "items": [ <write_item(row) for each row> ]}
template <typename WriteItem>
std::string PageJson(const PageRequest& page, const PageRows& rows, WriteItem write_item) {
  JsonWriter json;
  json.BeginObject();
  json.Key("meta");
  json.Raw(PageMetaJson(page, rows.total(), rows.items()));
  json.Key("items");
  json.BeginArray();
  for (int i = 0; i < rows.items(); ++i) write_item(json, i);
  json.EndArray();
  json.EndObject();
  return json.Take();
}

// What every list endpoint shares: validate the query, lease a connection,
// let `filter_for` add the endpoint's conditions, fetch one page of `listing`,
// and let `render` turn it into the page's JSON.
template <typename Query, typename FilterFor, typename Render>
absl::StatusOr<std::string> ListPage(PgPool& pool, const Query& query, const Listing& listing,
                                     FilterFor filter_for, Render render) {
  TG_RETURN_IF_ERROR(ValidatePage(query.page));
  TG_RETURN_IF_ERROR(ValidateSearchQuery(query.search_query));
  TG_ASSIGN_OR_RETURN(auto lease, pool.Acquire());
  PgConnection& conn = *lease;
  SqlFilter filter;
  TG_RETURN_IF_ERROR(filter_for(conn, filter));
  TG_ASSIGN_OR_RETURN(auto page, FetchPage(conn, filter, listing, query.page));
  return render(conn, page);
}

// Datasets and jobs filtered by their location's type.
void WhereLocationType(SqlFilter& filter, absl::string_view column, const std::vector<std::string>& types) {
  if (types.empty()) return;
  filter.Where(
      absl::StrCat(column, " IN (SELECT id FROM location WHERE type IN (", filter.List(types), "))"));
}

// A namespace-limited token's condition on `location_column`: only the
// locations its patterns match (none matching: nothing at all).
absl::Status WhereInNamespaces(PgConnection& conn, SqlFilter& filter, absl::string_view location_column,
                               const std::vector<std::string>& patterns) {
  if (patterns.empty()) return absl::OkStatus();
  TG_ASSIGN_OR_RETURN(auto ids, LocationsInNamespaces(conn, patterns));
  filter.Where(absl::StrCat(location_column, " = ANY(", filter.Param(IdArray(ids)), "::bigint[])"));
  return absl::OkStatus();
}

// Datasets and jobs: rows (id, name, location_id, …) as {id, data: {id,
// location, name, <extra>}, <after_data>}.
template <typename Extra, typename AfterData>
absl::StatusOr<std::string> NamedItemsJson(PgConnection& conn, const PageRequest& request,
                                           const PageRows& page, Extra extra, AfterData after_data) {
  TG_ASSIGN_OR_RETURN(auto locations, FetchLocations(conn, page.Column(2)));
  return PageJson(request, page, [&](JsonWriter& json, int row) {
    json.BeginObject();
    json.Field("id", page.Get(row, 0));
    json.Key("data");
    json.BeginObject();
    json.Field("id", page.Get(row, 0));
    json.Key("location");
    WriteLocation(json, locations.at(std::string(page.Get(row, 2))));
    json.Field("name", page.Get(row, 1));
    extra(json, row);
    json.EndObject();
    after_data(json);
    json.EndObject();
  });
}

}  // namespace

std::string PageMetaJson(const PageRequest& page, int64_t total_count, int64_t items_on_page) {
  const int64_t size = page.page_size;
  const bool has_next = static_cast<int64_t>(page.page - 1) * size + items_on_page < total_count;
  const bool has_previous = page.page > 1;
  JsonWriter json;
  json.BeginObject();
  json.Field("page", page.page);
  json.Field("page_size", page.page_size);
  json.Field("total_count", total_count);
  json.Field("pages_count", std::max<int64_t>(1, (total_count + size - 1) / size));
  json.Field("has_next", has_next);
  json.Field("has_previous", has_previous);
  json.Key("next_page");
  if (has_next) {
    json.Int(page.page + 1);
  } else {
    json.Null();
  }
  json.Key("previous_page");
  if (has_previous) {
    json.Int(page.page - 1);
  } else {
    json.Null();
  }
  json.EndObject();
  return json.Take();
}

absl::StatusOr<std::string> ListLocations(PgPool& pool, const LocationQuery& query) {
  const auto filter_for = [&](PgConnection& conn, SqlFilter& filter) -> absl::Status {
    if (auto limited = WhereInNamespaces(conn, filter, "l.id", query.namespaces); !limited.ok())
      return limited;
    filter.WhereIn("l.id", query.location_id);
    filter.WhereIn("l.type", query.location_type);
    if (query.search_query) {
      TG_ASSIGN_OR_RETURN(auto matching, LocationsMatching(conn, *query.search_query));
      filter.WhereIn("l.id", matching);
      if (matching.empty()) filter.Where("false");
    }
    return absl::OkStatus();
  };
  const auto render = [&](PgConnection& conn, const PageRows& page) -> absl::StatusOr<std::string> {
    const std::vector<std::string> ids = page.Column(0);
    TG_ASSIGN_OR_RETURN(auto locations, FetchLocations(conn, ids));
    TG_ASSIGN_OR_RETURN(auto datasets, CountBy(conn, "dataset", "location_id", "bigint", ids));
    TG_ASSIGN_OR_RETURN(auto jobs, CountBy(conn, "job", "location_id", "bigint", ids));
    return PageJson(query.page, page, [&](JsonWriter& json, int row) {
      const std::string& id = ids[row];
      json.BeginObject();
      json.Field("id", id);
      json.Key("data");
      WriteLocation(json, locations.at(id));
      json.Key("statistics");
      json.Raw(absl::StrCat(R"({"datasets":{"total_datasets":)", datasets[id], R"(},"jobs":{"total_jobs":)",
                            jobs[id], "}}"));
      json.EndObject();
    });
  };
  return ListPage(pool, query,
                  {.table = "location", .alias = "l", .keys = {"type", "name"}, .columns = "l.id"},
                  filter_for, render);
}

absl::StatusOr<std::string> ListDatasets(PgPool& pool, const DatasetQuery& query) {
  const auto filter_for = [&](PgConnection& conn, SqlFilter& filter) -> absl::Status {
    if (auto limited = WhereInNamespaces(conn, filter, "d.location_id", query.namespaces); !limited.ok()) {
      return limited;
    }
    filter.WhereIn("d.id", query.dataset_id);
    filter.WhereIn("d.location_id", query.location_id);
    WhereLocationType(filter, "d.location_id", query.location_type);
    if (query.search_query) {
      TG_ASSIGN_OR_RETURN(auto locations, LocationsMatching(conn, *query.search_query));
      filter.WhereMatches("d.name_folded", *query.search_query, "d.location_id", locations);
    }
    return absl::OkStatus();
  };
  const auto render = [&](PgConnection& conn, const PageRows& page) {
    return NamedItemsJson(
        conn, query.page, page,
        [](JsonWriter& json, int) {
          json.Key("schema");
          json.Null();
        },
        [](JsonWriter& json) {
          json.Key("tags");
          json.Raw("[]");
        });
  };
  return ListPage(
      pool, query,
      {.table = "dataset", .alias = "d", .keys = {"name"}, .columns = "d.id, d.name, d.location_id"},
      filter_for, render);
}

absl::StatusOr<std::string> ListJobs(PgPool& pool, const JobQuery& query) {
  const auto filter_for = [&](PgConnection& conn, SqlFilter& filter) -> absl::Status {
    if (auto limited = WhereInNamespaces(conn, filter, "j.location_id", query.namespaces); !limited.ok()) {
      return limited;
    }
    filter.WhereIn("j.id", query.job_id);
    filter.WhereIn("j.type", query.job_type);
    filter.WhereIn("j.location_id", query.location_id);
    WhereLocationType(filter, "j.location_id", query.location_type);
    if (query.search_query) {
      TG_ASSIGN_OR_RETURN(auto locations, LocationsMatching(conn, *query.search_query));
      filter.WhereMatches("j.name_folded", *query.search_query, "j.location_id", locations);
    }
    return absl::OkStatus();
  };
  const auto render = [&](PgConnection& conn, const PageRows& page) {
    return NamedItemsJson(
        conn, query.page, page, [&](JsonWriter& json, int row) { json.Field("type", page.Get(row, 3)); },
        [](JsonWriter&) {});
  };
  return ListPage(
      pool, query,
      {.table = "job", .alias = "j", .keys = {"name"}, .columns = "j.id, j.name, j.location_id, j.type"},
      filter_for, render);
}

absl::StatusOr<std::string> ListRuns(PgPool& pool, const RunQuery& query) {
  const auto filter_for = [&](PgConnection& conn, SqlFilter& filter) -> absl::Status {
    for (const auto& [bound, op] : {std::pair{&query.since, ">="}, std::pair{&query.until, "<="}}) {
      if (!*bound) continue;
      const std::string time = absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", **bound, absl::UTCTimeZone());
      filter.Where(absl::StrCat("r.created_at ", op, " ", filter.Param(time), "::timestamptz"));
    }
    if (!query.namespaces.empty()) {
      TG_ASSIGN_OR_RETURN(auto locations, LocationsInNamespaces(conn, query.namespaces));
      filter.Where(absl::StrCat("r.job_id IN (SELECT id FROM job WHERE location_id = ANY(",
                                filter.Param(IdArray(locations)), "::bigint[]))"));
    }
    filter.WhereIn("r.id", query.run_id, "::uuid");
    filter.WhereIn("r.job_id", query.job_id);
    filter.WhereIn("r.parent_run_id", query.parent_run_id, "::uuid");
    std::vector<int64_t> statuses;
    for (const auto& name : query.status) {
      for (int64_t i = 0; i < 5; ++i) {
        if (kStatusNames[i] == name) statuses.push_back(i - 1);
      }
    }
    filter.WhereIn("r.status", statuses, "::smallint");
    if (!query.job_type.empty()) {
      filter.Where(
          absl::StrCat("r.job_id IN (SELECT id FROM job WHERE type IN (", filter.List(query.job_type), "))"));
    }
    if (query.search_query) {
      TG_ASSIGN_OR_RETURN(auto jobs, JobsMatching(conn, *query.search_query));
      filter.WhereMatches("r.external_id_folded", *query.search_query, "r.job_id", jobs);
    }
    return absl::OkStatus();
  };
  const auto render = [&](PgConnection& conn, const PageRows& page) -> absl::StatusOr<std::string> {
    const std::vector<std::string> ids = page.Column(0);
    TG_ASSIGN_OR_RETURN(auto inputs, CountBy(conn, "input", "run_id", "uuid", ids));
    TG_ASSIGN_OR_RETURN(auto outputs, CountBy(conn, "output", "run_id", "uuid", ids));
    return PageJson(query.page, page, [&](JsonWriter& json, int row) {
      const PageRows& rows = page;
      const std::string& id = ids[row];
      const int64_t status = rows.GetInt(row, 4);
      json.BeginObject();
      json.Field("id", id);
      json.Key("data");
      json.BeginObject();
      json.Field("id", id);
      json.Field("created_at", rows.Get(row, 1));
      json.Field("job_id", rows.Get(row, 2));
      WriteNullable(json, "parent_run_id", rows, row, 3);
      json.Field("status", status >= -1 && status <= 3 ? kStatusNames[status + 1] : "UNKNOWN");
      WriteNullable(json, "external_id", rows, row, 7);
      WriteNullable(json, "attempt", rows, row, 8);
      WriteNullable(json, "persistent_log_url", rows, row, 10);
      WriteNullable(json, "running_log_url", rows, row, 9);
      WriteNullable(json, "started_at", rows, row, 5);
      json.Key("started_by_user");
      json.Null();
      json.Key("start_reason");
      json.Null();
      WriteNullable(json, "ended_at", rows, row, 6);
      json.Key("end_reason");
      json.Null();
      json.EndObject();
      json.Key("statistics");
      const auto io = [&](absl::string_view key, int64_t datasets) {
        json.Key(key);
        json.Raw(absl::StrCat(R"({"total_datasets":)", datasets,
                              R"(,"total_bytes":0,"total_rows":0,"total_files":0})"));
      };
      json.BeginObject();
      io("outputs", outputs[id]);
      io("inputs", inputs[id]);
      json.Key("operations");
      json.Raw(R"({"total_operations":0})");
      json.EndObject();
      json.EndObject();
    });
  };
  const std::string columns = absl::StrCat(
      "r.id, ", IsoTime("r.created_at"), ", r.job_id, r.parent_run_id, r.status, ", IsoTime("r.started_at"),
      ", ", IsoTime("r.ended_at"), ", r.external_id, r.attempt, r.running_log_url, r.persistent_log_url");
  return ListPage(
      pool, query,
      {.table = "run", .alias = "r", .keys = {"created_at"}, .descending = true, .columns = columns},
      filter_for, render);
}

}  // namespace tokengate
