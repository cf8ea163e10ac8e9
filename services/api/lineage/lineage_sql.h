// SQL building blocks of the lineage list queries: a WHERE clause with its
// parameters, the case-insensitive substring search on the *_folded columns,
// and one statement that returns a page together with the total count.
// Values always travel as parameters; only fixed identifiers are spliced in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/pg/postgres.h"
#include "services/api/lineage/lineage_queries.h"

namespace tokengate {

// `text` as a LIKE pattern matching it as a substring: '\', '%' and '_' escaped.
std::string SubstringPattern(absl::string_view text);

// A token's namespace pattern as a LIKE pattern over location.namespace:
// lower-cased (the consumer stores namespaces so), '\', '%' and '_' escaped,
// each '*' a '%'.
std::string NamespaceLikePattern(absl::string_view pattern);

// The conditions of a statement under construction and their parameters.
class SqlFilter {
 public:
  // A parameter placeholder ("$3") for `value`.
  std::string Param(std::string value);
  // Placeholders for `values`, comma-separated, each followed by `cast`.
  template <typename T>
  std::string List(const std::vector<T>& values, absl::string_view cast = "") {
    std::vector<std::string> placeholders;
    for (const auto& value : values) {
      placeholders.push_back(absl::StrCat(Param(absl::StrCat(value)), cast));
    }
    return absl::StrJoin(placeholders, ", ");
  }
  void Where(std::string condition) { conditions_.push_back(std::move(condition)); }
  // "<column> IN (…)" unless `values` is empty.
  template <typename T>
  void WhereIn(absl::string_view column, const std::vector<T>& values, absl::string_view cast = "") {
    if (!values.empty()) Where(absl::StrCat(column, " IN (", List(values, cast), ")"));
  }
  // "(<folded_column> LIKE <search> OR <id_column> = ANY(<ids>))": a row
  // matches by its own name or by belonging to a matching location or job.
  void WhereMatches(absl::string_view folded_column, const std::string& search_query,
                    absl::string_view id_column = "", const std::vector<std::string>& ids = {});

  bool empty() const { return conditions_.empty(); }
  std::string WhereClause() const;
  const std::vector<PgParam>& params() const { return params_; }

 private:
  std::vector<PgParam> params_;
  std::vector<std::string> conditions_;
};

// "{1,2,3}": a bigint[]/uuid[] parameter from ids the database gave us.
std::string IdArray(const std::vector<std::string>& ids);

// Ids of the locations whose name or any address contains `search_query`.
// Asked for first, so the big table's statement gets them as constants and
// the planner combines two index scans instead of scanning every row.
absl::StatusOr<std::vector<std::string>> LocationsMatching(PgConnection& conn,
                                                           const std::string& search_query);
// Ids of the jobs whose name contains `search_query`.
absl::StatusOr<std::vector<std::string>> JobsMatching(PgConnection& conn, const std::string& search_query);

// Ids of the locations whose namespace matches one of `patterns` (non-empty).
// Asked for first, like LocationsMatching: the big tables' statements then
// select by location_id, the leading column of their unique keys.
absl::StatusOr<std::vector<std::string>> LocationsInNamespaces(PgConnection& conn,
                                                               const std::vector<std::string>& patterns);

// What one list endpoint pages over.
struct Listing {
  absl::string_view table;              // e.g. "dataset"
  absl::string_view alias;              // e.g. "d"; `columns` and conditions use it
  std::vector<absl::string_view> keys;  // Ordering columns before the id.
  bool descending = false;
  std::string columns;  // What each item needs, e.g. "d.id, d.name".
};

// A page of rows and the total count (kept in a leading column, so an empty
// page still carries it: one row whose other columns are NULL).
class PageRows {
 public:
  explicit PageRows(PgResult rows);
  int64_t total() const { return rows_.GetInt(0, 0); }
  int items() const { return items_; }
  absl::string_view Get(int row, int column) const { return rows_.Get(row, column + 1); }
  bool IsNull(int row, int column) const { return rows_.IsNull(row, column + 1); }
  int64_t GetInt(int row, int column) const { return rows_.GetInt(row, column + 1); }
  // Column `column` of every item.
  std::vector<std::string> Column(int column) const;

 private:
  PgResult rows_;
  int items_ = 0;
};

// count(*) and one page of `listing` under `filter`, in one statement.
absl::StatusOr<PageRows> FetchPage(PgConnection& conn, const SqlFilter& filter, const Listing& listing,
                                   const PageRequest& page);

}  // namespace tokengate
