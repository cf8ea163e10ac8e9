#include "services/token_authority/token_store.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/dates.h"
#include "common/field_error.h"
#include "common/json_writer.h"
#include "simdjson.h"

namespace tokengate {
namespace {

// A deadlock or serialization failure is retried this often in all.
constexpr int kMaxWriteAttempts = 5;

// Columns every token query selects, in this order (see RecordFromRow).
constexpr absl::string_view kTokenColumns =
    "t.id::text, t.user_id, u.name, t.name, t.scopes::text, t.since::text, t.until::text, "
    "floor(extract(epoch FROM t.revoked_at))::bigint, "
    "floor(extract(epoch FROM t.last_used_at))::bigint";

std::string ScopesJson(const std::vector<std::string>& scopes) {
  JsonWriter json;
  json.BeginArray();
  for (const auto& scope : scopes) json.String(scope);
  json.EndArray();
  return json.Take();
}

std::vector<std::string> ScopesFromJson(absl::string_view text) {
  std::vector<std::string> scopes;
  simdjson::dom::parser parser;
  simdjson::dom::array array;
  if (parser.parse(text.data(), text.size()).get_array().get(array)) return scopes;
  for (auto value : array) {
    std::string_view scope;
    if (!value.get_string().get(scope)) scopes.emplace_back(scope);
  }
  return scopes;
}

std::optional<absl::Time> OptionalTime(const PgResult& r, int row, int column) {
  if (r.IsNull(row, column)) return std::nullopt;
  return absl::FromUnixSeconds(r.GetInt(row, column));
}

TokenRecord RecordFromRow(const PgResult& r, int row) {
  TokenRecord record;
  record.id = std::string(r.Get(row, 0));
  record.user_id = r.GetInt(row, 1);
  record.user_name = std::string(r.Get(row, 2));
  record.name = std::string(r.Get(row, 3));
  record.scopes = ScopesFromJson(r.Get(row, 4));
  record.since = ParseDay(r.Get(row, 5)).value_or(absl::CivilDay());
  record.until = ParseDay(r.Get(row, 6)).value_or(absl::CivilDay());
  record.revoked_at = OptionalTime(r, row, 7);
  record.last_used_at = OptionalTime(r, row, 8);
  return record;
}

absl::Status NameClash(const std::string& name) {
  return EntityError(absl::StatusCode::kAlreadyExists, "PersonalToken", "name", name);
}

absl::Status TokenNotFound(const std::string& id) {
  return EntityError(absl::StatusCode::kNotFound, "PersonalToken", "id", id);
}

absl::Status Insert(PgConnection& conn, const TokenRecord& record) {
  auto result = conn.Exec(
      "INSERT INTO personal_token (id, user_id, name, scopes, since, until) "
      "VALUES ($1, $2, $3, $4::jsonb, $5, $6)",
      {record.id, absl::StrCat(record.user_id), record.name, ScopesJson(record.scopes),
       FormatDay(record.since), FormatDay(record.until)});
  if (absl::IsAlreadyExists(result.status())) return NameClash(record.name);
  return result.status();
}

std::string PgArray(const std::vector<std::string>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

}  // namespace

absl::StatusOr<int64_t> PgTokenStore::GetOrCreateUser(const std::string& name) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  // The no-op update makes RETURNING yield the id of an existing row too.
  auto result = (*conn)->Exec(
      "INSERT INTO \"user\" (name) VALUES ($1) "
      "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
      {name});
  if (!result.ok()) return result.status();
  return result->GetInt(0, 0);
}

absl::Status PgTokenStore::WriteForUser(int64_t user_id,
                                        absl::FunctionRef<absl::Status(PgConnection&)> body) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  absl::Status status;
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    status = InTransaction(**conn, [&]() -> absl::Status {
      // Every writer of a user's tokens queues here first, so two writers
      // never hold locks of that user's rows in different orders.
      auto locked = (*conn)->Exec("SELECT 1 FROM \"user\" WHERE id = $1 FOR UPDATE",
                                  {absl::StrCat(user_id)});
      if (!locked.ok()) return locked.status();
      return body(**conn);
    });
    if (!absl::IsAborted(status)) return status;
  }
  return status;
}

absl::Status PgTokenStore::InsertToken(const TokenRecord& record) {
  return WriteForUser(record.user_id, [&](PgConnection& conn) { return Insert(conn, record); });
}

absl::Status PgTokenStore::ReplaceToken(int64_t user_id, const std::string& old_id,
                                        TokenRecord& fresh) {
  return WriteForUser(user_id, [&](PgConnection& conn) -> absl::Status {
    auto old = conn.Exec(
        "UPDATE personal_token SET revoked_at = now() "
        "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING name, scopes::text",
        {old_id, absl::StrCat(user_id)});
    if (!old.ok()) return old.status();
    if (old->rows() == 0) return TokenNotFound(old_id);
    fresh.name = std::string(old->Get(0, 0));
    fresh.scopes = ScopesFromJson(old->Get(0, 1));
    return Insert(conn, fresh);
  });
}

absl::Status PgTokenStore::RevokeToken(int64_t user_id, const std::string& id) {
  return WriteForUser(user_id, [&](PgConnection& conn) -> absl::Status {
    auto result = conn.Exec(
        "UPDATE personal_token SET revoked_at = now() "
        "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id",
        {id, absl::StrCat(user_id)});
    if (!result.ok()) return result.status();
    if (result->rows() == 0) return TokenNotFound(id);
    return absl::OkStatus();
  });
}

absl::StatusOr<TokenRecord> PgTokenStore::GetUserToken(int64_t user_id, const std::string& id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto result = (*conn)->Exec(
      absl::StrCat("SELECT ", kTokenColumns,
                   " FROM personal_token t JOIN \"user\" u ON u.id = t.user_id"
                   " WHERE t.id = $1 AND t.user_id = $2"),
      {id, absl::StrCat(user_id)});
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return TokenNotFound(id);
  return RecordFromRow(*result, 0);
}

absl::StatusOr<TokenPage> PgTokenStore::ListUserTokens(int64_t user_id, int page, int page_size,
                                                       const std::vector<std::string>& ids) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const PgParam id_filter = ids.empty() ? PgParam() : PgParam(PgArray(ids));
  // Data.Rentgen's list: the newest live token of each name, by name; a page
  // asked for by ids holds at most that many rows.
  const int64_t limit = ids.empty() ? page_size : std::min<int64_t>(page_size, ids.size());
  auto result = (*conn)->Exec(
      absl::StrCat("WITH newest AS (SELECT DISTINCT ON (t.name) t.*"
                   " FROM personal_token t WHERE t.user_id = $1 AND t.revoked_at IS NULL"
                   " AND ($2::uuid[] IS NULL OR t.id = ANY($2::uuid[]))"
                   " ORDER BY t.name, t.since DESC, t.id DESC) "
                   "SELECT ", kTokenColumns, ", count(*) OVER ()"
                   " FROM newest t JOIN \"user\" u ON u.id = t.user_id"
                   " ORDER BY t.name LIMIT $3 OFFSET $4"),
      {absl::StrCat(user_id), id_filter, absl::StrCat(limit),
       absl::StrCat(static_cast<int64_t>(page - 1) * page_size)});
  if (!result.ok()) return result.status();
  TokenPage out;
  for (int i = 0; i < result->rows(); ++i) out.items.push_back(RecordFromRow(*result, i));
  if (result->rows() > 0) {
    out.total_count = result->GetInt(0, 9);
  } else if (page > 1) {
    // Past the end: the window function saw no rows, so count separately.
    auto count = (*conn)->Exec(
        "SELECT count(DISTINCT t.name) FROM personal_token t WHERE t.user_id = $1 AND t.revoked_at IS NULL"
        " AND ($2::uuid[] IS NULL OR t.id = ANY($2::uuid[]))",
        {absl::StrCat(user_id), id_filter});
    if (!count.ok()) return count.status();
    out.total_count = count->GetInt(0, 0);
  }
  return out;
}

absl::StatusOr<TokenRecord> PgTokenStore::LoadToken(const std::string& id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto result = (*conn)->Exec(
      absl::StrCat("SELECT ", kTokenColumns,
                   " FROM personal_token t JOIN \"user\" u ON u.id = t.user_id WHERE t.id = $1"),
      {id});
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return TokenNotFound(id);
  return RecordFromRow(*result, 0);
}

absl::Status PgTokenStore::RecordUsage(const std::vector<std::pair<std::string, absl::Time>>& uses) {
  if (uses.empty()) return absl::OkStatus();
  std::vector<std::string> ids;
  std::vector<std::string> times;
  for (const auto& [id, at] : uses) {
    ids.push_back(id);
    times.push_back(absl::StrCat(absl::ToUnixSeconds(at)));
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto result = (*conn)->Exec(
      "UPDATE personal_token t SET last_used_at = greatest(t.last_used_at, to_timestamp(u.at)) "
      "FROM unnest($1::uuid[], $2::bigint[]) AS u(id, at) WHERE t.id = u.id",
      {PgArray(ids), PgArray(times)});
  return result.status();
}

}  // namespace tokengate
