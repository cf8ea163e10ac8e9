#include "services/api/lineage/lineage_sql.h"

#include "absl/strings/ascii.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

// A search folded as the *_folded columns are (0002_lineage.sql), then given
// the columns' collation back: an ICU-collated pattern keeps the planner off
// the trigram indexes.
std::string FoldedPattern(absl::string_view param) {
  return absl::StrCat("(lower(", param, "::text COLLATE \"und-x-icu\") COLLATE \"default\")");
}

absl::StatusOr<std::vector<std::string>> MatchingIds(PgConnection& conn, absl::string_view sql,
                                                     const std::string& search_query) {
  TG_ASSIGN_OR_RETURN(auto rows, conn.Exec(sql, {SubstringPattern(search_query)}));
  std::vector<std::string> ids;
  for (int i = 0; i < rows.rows(); ++i) ids.emplace_back(rows.Get(i, 0));
  return ids;
}

// `c` as a literal character of a LIKE pattern (backslash is LIKE's escape).
void AppendLiteral(char c, std::string& pattern) {
  if (c == '\\' || c == '%' || c == '_') pattern += '\\';
  pattern += c;
}

}  // namespace

std::string SubstringPattern(absl::string_view text) {
  std::string pattern = "%";
  for (char c : text) AppendLiteral(c, pattern);
  pattern += '%';
  return pattern;
}

std::string NamespaceLikePattern(absl::string_view pattern) {
  std::string out;
  for (const char c : absl::AsciiStrToLower(pattern)) {
    if (c == '*') {
      out += '%';
    } else {
      AppendLiteral(c, out);
    }
  }
  return out;
}

std::string SqlFilter::Param(std::string value) {
  params_.push_back(std::move(value));
  return absl::StrCat("$", params_.size());
}

void SqlFilter::WhereMatches(absl::string_view folded_column, const std::string& search_query,
                             absl::string_view id_column, const std::vector<std::string>& ids) {
  std::string condition =
      absl::StrCat("(", folded_column, " LIKE ", FoldedPattern(Param(SubstringPattern(search_query))));
  if (!ids.empty()) {
    absl::StrAppend(&condition, " OR ", id_column, " = ANY(", Param(IdArray(ids)), "::bigint[])");
  }
  Where(condition + ")");
}

std::string SqlFilter::WhereClause() const {
  return conditions_.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(conditions_, " AND "));
}

std::string IdArray(const std::vector<std::string>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

absl::StatusOr<std::vector<std::string>> LocationsMatching(PgConnection& conn,
                                                           const std::string& search_query) {
  static const std::string kSql =
      absl::StrCat("SELECT id FROM location WHERE name_folded LIKE ", FoldedPattern("$1"),
                   " UNION SELECT location_id FROM address WHERE url_folded LIKE ", FoldedPattern("$1"));
  return MatchingIds(conn, kSql, search_query);
}

absl::StatusOr<std::vector<std::string>> JobsMatching(PgConnection& conn, const std::string& search_query) {
  static const std::string kSql =
      absl::StrCat("SELECT id FROM job WHERE name_folded LIKE ", FoldedPattern("$1"));
  return MatchingIds(conn, kSql, search_query);
}

PageRows::PageRows(PgResult rows) : rows_(std::move(rows)) {
  items_ = rows_.rows() == 1 && rows_.IsNull(0, 1) ? 0 : rows_.rows();
}

std::vector<std::string> PageRows::Column(int column) const {
  std::vector<std::string> values;
  for (int i = 0; i < items_; ++i) values.emplace_back(Get(i, column));
  return values;
}

// Without conditions the page walks the ordering index and stops after
// page_size rows. With conditions the matching (id, keys) are collected once,
// then counted and sorted from there, so the search runs once, not twice.
absl::StatusOr<std::vector<std::string>> LocationsInNamespaces(PgConnection& conn,
                                                               const std::vector<std::string>& patterns) {
  // One LIKE per pattern (not LIKE ANY): each can use the prefix index.
  std::vector<PgParam> params;
  std::vector<std::string> conditions;
  for (const auto& pattern : patterns) {
    params.push_back(NamespaceLikePattern(pattern));
    conditions.push_back(absl::StrCat("namespace LIKE $", params.size()));
  }
  auto rows =
      conn.Exec(absl::StrCat("SELECT id FROM location WHERE ", absl::StrJoin(conditions, " OR ")), params);
  if (!rows.ok()) return rows.status();
  std::vector<std::string> ids;
  ids.reserve(rows->rows());
  for (int i = 0; i < rows->rows(); ++i) ids.emplace_back(rows->Get(i, 0));
  return ids;
}

absl::StatusOr<PageRows> FetchPage(PgConnection& conn, const SqlFilter& filter, const Listing& listing,
                                   const PageRequest& page) {
  const absl::string_view direction = listing.descending ? " DESC" : "";
  std::vector<std::string> key_select, key_order, outer_order, table_order;
  for (size_t i = 0; i < listing.keys.size(); ++i) {
    key_select.push_back(absl::StrCat(listing.alias, ".", listing.keys[i], " AS k", i));
    key_order.push_back(absl::StrCat("k", i, direction));
    outer_order.push_back(absl::StrCat("p.k", i, direction));
    table_order.push_back(absl::StrCat(listing.alias, ".", listing.keys[i], direction));
  }
  key_order.push_back(absl::StrCat("id", direction));
  outer_order.push_back(absl::StrCat("p.id", direction));
  table_order.push_back(absl::StrCat(listing.alias, ".id", direction));
  const std::string keys = absl::StrCat(listing.alias, ".id, ", absl::StrJoin(key_select, ", "));
  const std::string from = absl::StrCat(listing.table, " ", listing.alias);
  const std::string limit = absl::StrCat(" LIMIT ", page.page_size, " OFFSET ",
                                         static_cast<int64_t>(page.page - 1) * page.page_size);
  std::string matched, total, paged;
  if (filter.empty()) {
    total = absl::StrCat("SELECT count(*) AS n FROM ", listing.table);
    paged =
        absl::StrCat("SELECT ", keys, " FROM ", from, " ORDER BY ", absl::StrJoin(table_order, ", "), limit);
  } else {
    matched = absl::StrCat("WITH matched AS MATERIALIZED (SELECT ", keys, " FROM ", from,
                           filter.WhereClause(), ") ");
    total = "SELECT count(*) AS n FROM matched";
    paged = absl::StrCat("SELECT * FROM matched ORDER BY ", absl::StrJoin(key_order, ", "), limit);
  }
  auto rows =
      conn.Exec(absl::StrCat(matched, "SELECT t.n, ", listing.columns, " FROM (", total, ") t ",
                             "LEFT JOIN (", paged, ") p ON true ", "LEFT JOIN ", from, " ON ", listing.alias,
                             ".id = p.id ", "ORDER BY ", absl::StrJoin(outer_order, ", ")),
                filter.params());
  if (!rows.ok()) return rows.status();
  return PageRows(*std::move(rows));
}

}  // namespace tokengate
