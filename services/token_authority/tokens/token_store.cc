#include "services/token_authority/tokens/token_store.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/base/dates.h"
#include "common/base/field_error.h"
#include "common/base/json_writer.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "simdjson.h"

namespace tokengate {
namespace {

// A deadlock or serialization failure is retried this often in all.
constexpr int kMaxWriteAttempts = 5;
// A use's client address and user agent are kept to this many bytes.
constexpr size_t kMaxClientBytes = 512;

// Columns every token query selects, in this order (see RecordFromRow).
constexpr absl::string_view kTokenColumns =
    "t.id::text, t.user_id, u.name, t.name, t.scopes::text, t.since::text, t.until::text, "
    "floor(extract(epoch FROM t.revoked_at))::bigint, "
    "floor(extract(epoch FROM t.last_used_at))::bigint, coalesce(t.last_used_from, ''), "
    "t.namespaces::text, t.networks::text, coalesce(t.rotated_to::text, ''), "
    "floor(extract(epoch FROM t.grace_until))::bigint";
constexpr int kTokenColumnCount = 14;

// A token is active on a day up to and including its `until`, in UTC.
constexpr absl::string_view kActive = "t.revoked_at IS NULL AND t.until >= (now() AT TIME ZONE 'UTC')::date";

// A jsonb array of strings (scopes, namespaces, networks) and back.
std::string StringsJson(const std::vector<std::string>& values) {
  JsonWriter json;
  json.BeginArray();
  for (const auto& value : values) json.String(value);
  json.EndArray();
  return json.Take();
}

std::vector<std::string> StringsFromJson(absl::string_view text) {
  std::vector<std::string> values;
  simdjson::dom::parser parser;
  simdjson::dom::array array;
  if (parser.parse(text.data(), text.size()).get_array().get(array)) return values;
  for (auto value : array) {
    std::string_view text_value;
    if (!value.get_string().get(text_value)) values.emplace_back(text_value);
  }
  return values;
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
  record.scopes = StringsFromJson(r.Get(row, 4));
  record.since = ParseDay(r.Get(row, 5)).value_or(absl::CivilDay());
  record.until = ParseDay(r.Get(row, 6)).value_or(absl::CivilDay());
  record.revoked_at = OptionalTime(r, row, 7);
  record.last_used_at = OptionalTime(r, row, 8);
  record.last_used_from = std::string(r.Get(row, 9));
  record.namespaces = StringsFromJson(r.Get(row, 10));
  record.networks = StringsFromJson(r.Get(row, 11));
  record.rotated_to = std::string(r.Get(row, 12));
  record.grace_until = OptionalTime(r, row, 13);
  return record;
}

}  // namespace

std::string LimitsDetail(const TokenRecord& record) {
  std::string detail = absl::StrCat("scopes=", absl::StrJoin(record.scopes, ","));
  if (!record.namespaces.empty())
    absl::StrAppend(&detail, " namespaces=", absl::StrJoin(record.namespaces, ","));
  if (!record.networks.empty()) absl::StrAppend(&detail, " networks=", absl::StrJoin(record.networks, ","));
  return detail;
}

namespace {

absl::Status NameClash(const std::string& name) {
  return EntityError(absl::StatusCode::kAlreadyExists, "PersonalToken", "name", name);
}

absl::Status TokenNotFound(const std::string& id) {
  return EntityError(absl::StatusCode::kNotFound, "PersonalToken", "id", id);
}

absl::Status Insert(PgConnection& conn, const TokenRecord& record) {
  auto result = conn.Exec(
      "INSERT INTO personal_token (id, user_id, name, scopes, since, until, namespaces, networks) "
      "VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8::jsonb)",
      {record.id, absl::StrCat(record.user_id), record.name, StringsJson(record.scopes),
       FormatDay(record.since), FormatDay(record.until), StringsJson(record.namespaces),
       StringsJson(record.networks)});
  if (absl::IsAlreadyExists(result.status())) return NameClash(record.name);
  return result.status();
}

std::string PgArray(const std::vector<std::string>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

std::string Offset(int page, int page_size) {
  return absl::StrCat(static_cast<int64_t>(page - 1) * page_size);
}

// Runs `attempt` again while PostgreSQL reports a deadlock or a serialization
// failure (ABORTED), a bounded number of times.
absl::Status RetryConflicts(absl::FunctionRef<absl::Status()> attempt) {
  absl::Status status;
  for (int i = 0; i < kMaxWriteAttempts; ++i) {
    status = attempt();
    if (!absl::IsAborted(status)) return status;
  }
  return status;
}

}  // namespace

absl::StatusOr<int64_t> PgTokenStore::GetOrCreateUser(const std::string& name) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  // The no-op update makes RETURNING yield the id of an existing row too.
  TG_ASSIGN_OR_RETURN(auto result,
                      conn->Exec("INSERT INTO \"user\" (name) VALUES ($1) "
                                 "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                                 {name}));
  return result.GetInt(0, 0);
}

absl::StatusOr<int64_t> PgTokenStore::FindUser(const std::string& name) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(auto result, conn->Exec("SELECT id FROM \"user\" WHERE name = $1", {name}));
  if (result.rows() == 0) return EntityError(absl::StatusCode::kNotFound, "User", "name", name);
  return result.GetInt(0, 0);
}

absl::Status WriteForOwner(PgPool& pool, int64_t user_id,
                           absl::FunctionRef<absl::Status(PgConnection&)> body) {
  TG_ASSIGN_OR_RETURN(auto conn, pool.Acquire());
  return RetryConflicts([&] {
    return InTransaction(*conn, [&]() -> absl::Status {
      TG_RETURN_IF_ERROR(
          conn->Exec("SELECT 1 FROM \"user\" WHERE id = $1 FOR UPDATE", {absl::StrCat(user_id)}));
      return body(*conn);
    });
  });
}

absl::Status PgTokenStore::CheckLimits(PgConnection& conn, int64_t user_id, const std::string& new_id) {
  if (limits_.max_live_per_owner > 0) {
    auto live = conn.Exec(
        // A token in its rotation grace is on its way out: its replacement counts.
        absl::StrCat(
            "SELECT count(*) FROM personal_token t WHERE t.user_id = $1 AND t.rotated_to IS NULL AND ",
            kActive),
        {absl::StrCat(user_id)});
    if (!live.ok()) return live.status();
    if (live->GetInt(0, 0) >= limits_.max_live_per_owner) {
      absl::Status status = absl::ResourceExhaustedError(
          absl::StrCat("User may have at most ", limits_.max_live_per_owner,
                       " active personal tokens; revoke one before creating another"));
      status.SetPayload(kCodePayload, absl::Cord(kTooManyTokensCode));
      return status;
    }
  }
  if (limits_.max_creations_per_hour > 0) {
    const int64_t now_ms = UuidV7UnixMs(new_id).value_or(0);
    const int64_t window_ms = absl::ToInt64Milliseconds(absl::Hours(1));
    const int64_t from_ms = now_ms - window_ms;
    // UUIDv7s sort by time: the smallest one of `from_ms` bounds the window.
    const std::string lowest =
        absl::StrFormat("%08x-%04x-0000-0000-000000000000", from_ms >> 16, from_ms & 0xffff);
    // The max-th newest row of the window: while it is in there, no more.
    TG_ASSIGN_OR_RETURN(
        auto nth,
        conn.Exec("SELECT id::text FROM personal_token WHERE user_id = $1 AND id >= $2::uuid "
                  "ORDER BY id DESC OFFSET $3 LIMIT 1",
                  {absl::StrCat(user_id), lowest, absl::StrCat(limits_.max_creations_per_hour - 1)}));
    if (nth.rows() > 0) {
      const int64_t leaves_ms = UuidV7UnixMs(nth.Get(0, 0)).value_or(now_ms) + window_ms;
      const int64_t wait_seconds = std::max<int64_t>(1, (leaves_ms - now_ms + 999) / 1000);
      absl::Status status = absl::ResourceExhaustedError(
          absl::StrCat("Too many personal tokens created: at most ", limits_.max_creations_per_hour,
                       " per hour, retry later"));
      status.SetPayload(kCodePayload, absl::Cord(kTooManyRequestsCode));
      status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(wait_seconds)));
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status PgTokenStore::InsertToken(const TokenRecord& record, const AuditRecord& audit) {
  return WriteForUser(record.user_id, [&](PgConnection& conn) -> absl::Status {
    TG_RETURN_IF_ERROR(CheckLimits(conn, record.user_id, record.id));
    TG_RETURN_IF_ERROR(Insert(conn, record));
    return AppendAuditRecord(conn, audit);
  });
}

absl::Status PgTokenStore::ReplaceToken(
    int64_t user_id, const std::string& old_id, TokenRecord& fresh, AuditRecord audit,
    absl::FunctionRef<absl::Status(const TokenRecord&, TokenRecord&)> derive,
    std::optional<absl::Time> grace_until) {
  return WriteForUser(user_id, [&](PgConnection& conn) -> absl::Status {
    // With a grace the old row stays live, rotated: the sweep (EndGraces)
    // revokes it when the grace ends.
    const PgParam rotated_to = grace_until ? PgParam(fresh.id) : PgParam();
    const PgParam until = grace_until ? PgParam(absl::StrCat(absl::ToUnixMillis(*grace_until))) : PgParam();
    TG_ASSIGN_OR_RETURN(
        auto old_row,
        conn.Exec(
            "UPDATE personal_token SET revoked_at = CASE WHEN $3::uuid IS NULL THEN now() END, rotated_to = $3::uuid, "
            "  grace_until = to_timestamp($4::bigint / 1000.0) "
            "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND rotated_to IS NULL "
            "RETURNING name, scopes::text, namespaces::text, networks::text",
            {old_id, absl::StrCat(user_id), rotated_to, until}));
    if (old_row.rows() == 0) return TokenNotFound(old_id);
    const TokenRecord old{.id = old_id,
                          .user_id = user_id,
                          .name = std::string(old_row.Get(0, 0)),
                          .scopes = StringsFromJson(old_row.Get(0, 1)),
                          .namespaces = StringsFromJson(old_row.Get(0, 2)),
                          .networks = StringsFromJson(old_row.Get(0, 3))};
    fresh.name = old.name;
    // A refusal (a wider limit) rolls the revocation back with it.
    if (auto status = derive(old, fresh); !status.ok()) return status;
    // After the old one is revoked: a refresh never adds a live token.
    TG_RETURN_IF_ERROR(CheckLimits(conn, user_id, fresh.id));
    TG_RETURN_IF_ERROR(Insert(conn, fresh));
    audit.token_id = fresh.id;
    audit.token_name = fresh.name;
    audit.previous_token_id = old_id;
    audit.detail = absl::StrCat("replaces token ", old_id, "; ", LimitsDetail(fresh));
    if (grace_until) {
      absl::StrAppend(&audit.detail, "; the old one works until ",
                      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *grace_until, absl::UTCTimeZone()));
    }
    return AppendAuditRecord(conn, audit);
  });
}

absl::Status PgTokenStore::RevokeToken(int64_t user_id, const std::string& id, AuditRecord audit) {
  return WriteForUser(user_id, [&](PgConnection& conn) -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto result,
                        conn.Exec("UPDATE personal_token SET revoked_at = now() "
                                  "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING name",
                                  {id, absl::StrCat(user_id)}));
    if (result.rows() == 0) return TokenNotFound(id);
    audit.token_id = id;
    audit.token_name = std::string(result.Get(0, 0));
    TG_RETURN_IF_ERROR(AppendAuditRecord(conn, audit));
    // The tokens it replaced (and theirs) that still work in their grace.
    TG_ASSIGN_OR_RETURN(
        auto family,
        conn.Exec(
            "WITH RECURSIVE family AS ("
            "  SELECT t.id FROM personal_token t WHERE t.rotated_to = $1 AND t.revoked_at IS NULL "
            "  UNION SELECT t.id FROM personal_token t JOIN family f ON t.rotated_to = f.id WHERE t.revoked_at IS NULL), "
            "ordered AS (SELECT t.id FROM personal_token t JOIN family f ON f.id = t.id ORDER BY t.id FOR UPDATE OF t) "
            "UPDATE personal_token t SET revoked_at = now() FROM ordered WHERE t.id = ordered.id "
            "RETURNING t.id::text, t.name",
            {id}));
    audit.detail = absl::StrCat("in its rotation grace; revoked with its replacement ", id);
    for (int row = 0; row < family.rows(); ++row) {
      audit.token_id = std::string(family.Get(row, 0));
      audit.token_name = std::string(family.Get(row, 1));
      TG_RETURN_IF_ERROR(AppendAuditRecord(conn, audit));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> RevokeActiveTokens(PgConnection& conn, int64_t user_id,
                                                            AuditRecord audit) {
  // Rows locked in id order, as the usage flush locks them, so the two
  // cannot deadlock. Each revocation fires the revocation trigger (log and
  // NOTIFY), as a single revoke does.
  TG_ASSIGN_OR_RETURN(
      auto result,
      conn.Exec(
          absl::StrCat("WITH active AS (SELECT t.id FROM personal_token t WHERE t.user_id = $1 AND ", kActive,
                       " ORDER BY t.id FOR UPDATE) "
                       "UPDATE personal_token t SET revoked_at = now() FROM active "
                       "WHERE t.id = active.id RETURNING t.id::text, t.name"),
          {absl::StrCat(user_id)}));
  std::vector<std::pair<std::string, std::string>> revoked;
  for (int row = 0; row < result.rows(); ++row) {
    revoked.emplace_back(result.Get(row, 0), result.Get(row, 1));
  }
  std::sort(revoked.begin(), revoked.end());
  std::vector<std::string> ids;
  for (const auto& [id, name] : revoked) {
    audit.token_id = id;
    audit.token_name = name;
    TG_RETURN_IF_ERROR(AppendAuditRecord(conn, audit));
    ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<std::vector<std::string>> PgTokenStore::RevokeUserTokens(int64_t user_id, AuditRecord audit) {
  std::vector<std::string> ids;
  auto status = WriteForUser(user_id, [&](PgConnection& conn) -> absl::Status {
    TG_ASSIGN_OR_RETURN(ids, RevokeActiveTokens(conn, user_id, audit));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ids;
}

absl::StatusOr<TokenRecord> PgTokenStore::GetUserToken(int64_t user_id, const std::string& id) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(auto result,
                      conn->Exec(absl::StrCat("SELECT ", kTokenColumns,
                                              " FROM personal_token t JOIN \"user\" u ON u.id = t.user_id"
                                              " WHERE t.id = $1 AND t.user_id = $2"),
                                 {id, absl::StrCat(user_id)}));
  if (result.rows() == 0) return TokenNotFound(id);
  return RecordFromRow(result, 0);
}

absl::StatusOr<TokenPage> PgTokenStore::ListUserTokens(int64_t user_id, int page, int page_size,
                                                       const std::vector<std::string>& ids) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  const PgParam id_filter = ids.empty() ? PgParam() : PgParam(PgArray(ids));
  // Data.Rentgen's list: the newest live token of each name, by name; a page
  // asked for by ids holds at most that many rows. Tokens in their rotation
  // grace follow their name's live one (only a refresh with a grace makes them).
  const int64_t limit = ids.empty() ? page_size : std::min<int64_t>(page_size, ids.size());
  auto result = conn->Exec(
      absl::StrCat(
          "WITH newest AS ((SELECT DISTINCT ON (t.name) t.*"
          " FROM personal_token t WHERE t.user_id = $1 AND t.revoked_at IS NULL AND t.rotated_to IS NULL"
          " AND ($2::uuid[] IS NULL OR t.id = ANY($2::uuid[]))"
          " ORDER BY t.name, t.since DESC, t.id DESC)"
          " UNION ALL SELECT t.* FROM personal_token t"
          " WHERE t.user_id = $1 AND t.revoked_at IS NULL AND t.rotated_to IS NOT NULL"
          " AND ($2::uuid[] IS NULL OR t.id = ANY($2::uuid[]))) "
          "SELECT ",
          kTokenColumns,
          ", count(*) OVER ()"
          " FROM newest t JOIN \"user\" u ON u.id = t.user_id"
          " ORDER BY t.name, t.id DESC LIMIT $3 OFFSET $4"),
      {absl::StrCat(user_id), id_filter, absl::StrCat(limit), Offset(page, page_size)});
  if (!result.ok()) return result.status();
  TokenPage out;
  for (int i = 0; i < result->rows(); ++i) out.items.push_back(RecordFromRow(*result, i));
  if (result->rows() > 0) {
    out.total_count = result->GetInt(0, kTokenColumnCount);
  } else if (page > 1) {
    // Past the end: the window function saw no rows, so count separately.
    TG_ASSIGN_OR_RETURN(auto count,
                        conn->Exec("SELECT count(DISTINCT t.name) FILTER (WHERE t.rotated_to IS NULL)"
                                   " + count(*) FILTER (WHERE t.rotated_to IS NOT NULL)"
                                   " FROM personal_token t WHERE t.user_id = $1 AND t.revoked_at IS NULL"
                                   " AND ($2::uuid[] IS NULL OR t.id = ANY($2::uuid[]))",
                                   {absl::StrCat(user_id), id_filter}));
    out.total_count = count.GetInt(0, 0);
  }
  return out;
}

absl::StatusOr<TokenRecord> PgTokenStore::LoadToken(const std::string& id) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  auto result =
      conn->Exec(absl::StrCat("SELECT ", kTokenColumns,
                              " FROM personal_token t JOIN \"user\" u ON u.id = t.user_id WHERE t.id = $1"),
                 {id});
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return TokenNotFound(id);
  return RecordFromRow(*result, 0);
}

absl::StatusOr<TokenPage> PgTokenStore::ListAllTokens(const std::string& user_name, bool active_only,
                                                      int page, int page_size) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  const PgParam user = user_name.empty() ? PgParam() : PgParam(user_name);
  const std::string where =
      absl::StrCat(" WHERE ($1::text IS NULL OR u.name = $1) AND (NOT $2::boolean OR ", kActive, ")");
  const std::string active = active_only ? "true" : "false";
  TG_ASSIGN_OR_RETURN(
      auto count,
      conn->Exec(
          absl::StrCat("SELECT count(*) FROM personal_token t JOIN \"user\" u ON u.id = t.user_id", where),
          {user, active}));
  // UUIDv7 ids grow with their creation time: newest first is id order.
  TG_ASSIGN_OR_RETURN(auto result,
                      conn->Exec(absl::StrCat("SELECT ", kTokenColumns,
                                              " FROM personal_token t JOIN \"user\" u ON u.id = t.user_id",
                                              where, " ORDER BY t.id DESC LIMIT $3 OFFSET $4"),
                                 {user, active, absl::StrCat(page_size), Offset(page, page_size)}));
  TokenPage out;
  out.total_count = count.GetInt(0, 0);
  for (int i = 0; i < result.rows(); ++i) out.items.push_back(RecordFromRow(result, i));
  return out;
}

namespace {

// A batch of uses (last uses, or uses of dead tokens) as the JSON array the
// statements read with jsonb_to_recordset. An id that is not a UUID (an edge
// reports what it was sent) is left out: it would fail the whole batch's cast.
template <typename Use>
std::string UseBatchJson(const std::vector<Use>& uses) {
  JsonWriter json;
  json.BeginArray();
  for (const Use& use : uses) {
    if (!CanonicalUuid(use.token_id)) continue;
    json.BeginObject();
    json.Field("id", use.token_id);
    json.Field("at_ms", absl::ToUnixMillis(use.at));
    json.Field("addr", ClipForAudit(use.client_address, kMaxClientBytes));
    json.Field("ua", ClipForAudit(use.user_agent, kMaxClientBytes));
    json.EndObject();
  }
  json.EndArray();
  return json.Take();
}

}  // namespace

absl::Status PgTokenStore::RecordUsage(const std::vector<TokenUse>& uses) {
  if (uses.empty()) return absl::OkStatus();
  const std::string batch = UseBatchJson(uses);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  // One statement: rows are locked in id order (as offboarding locks them),
  // read as they were, updated, and the first use or a use from a new
  // address is recorded. A use older than the row's last one changes nothing.
  return RetryConflicts([&] {
    return conn
        ->Exec(
            "WITH u AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, at_ms bigint, addr text, ua text)), "
            "old AS MATERIALIZED (SELECT t.id, t.user_id, t.name, t.last_used_at, t.last_used_from "
            "  FROM personal_token t JOIN u ON u.id = t.id ORDER BY t.id FOR UPDATE OF t), "
            "changed AS (UPDATE personal_token t SET last_used_at = to_timestamp(u.at_ms / 1000.0), "
            "    last_used_from = u.addr, last_used_user_agent = u.ua "
            "  FROM u JOIN old ON old.id = u.id "
            "  WHERE t.id = u.id AND (old.last_used_at IS NULL OR to_timestamp(u.at_ms / 1000.0) >= old.last_used_at) "
            "  RETURNING t.id, old.user_id, old.name, old.last_used_at IS NULL AS first, "
            "    old.last_used_from AS before, u.addr, u.ua, u.at_ms) "
            "INSERT INTO audit_event (at, event, actor_kind, actor_name, user_id, user_name, token_id, "
            "  token_name, client_address, user_agent) "
            "SELECT to_timestamp(c.at_ms / 1000.0), CASE WHEN c.first THEN 'token.first_used' ELSE 'token.last_used' END, "
            "  'user', us.name, c.user_id, us.name, c.id::text, c.name, c.addr, c.ua "
            "FROM changed c JOIN \"user\" us ON us.id = c.user_id "
            "WHERE c.first OR c.before IS DISTINCT FROM c.addr",
            {batch})
        .status();
  });
}

absl::StatusOr<int> PgTokenStore::EndGraces() {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  int ended = 0;
  // Rows locked in id order (as the usage flush and offboarding lock them).
  // The revocation trigger logs and announces each one, as for any revoke.
  TG_RETURN_IF_ERROR(RetryConflicts([&]() -> absl::Status {
    TG_ASSIGN_OR_RETURN(
        auto result, conn->Exec("WITH due AS (SELECT id FROM personal_token "
                                "  WHERE revoked_at IS NULL AND grace_until <= now() ORDER BY id FOR UPDATE) "
                                "UPDATE personal_token t SET revoked_at = t.grace_until FROM due "
                                "WHERE t.id = due.id RETURNING t.id"));
    ended = result.rows();
    return absl::OkStatus();
  }));
  return ended;
}

absl::StatusOr<std::vector<RecordedDeadUse>> PgTokenStore::RecordDeadUses(const std::vector<DeadUse>& uses,
                                                                          const std::string& edge) {
  std::vector<RecordedDeadUse> recorded;
  if (uses.empty()) return recorded;
  const std::string batch = UseBatchJson(uses);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  auto status = InTransaction(*conn, [&]() -> absl::Status {
    recorded.clear();
    // One writer at a time, so two replicas cannot both find "no record in
    // the hour" for the same use.
    TG_RETURN_IF_ERROR(conn->Exec("SELECT pg_advisory_xact_lock(7305412289)").status());
    // A token is dead for a use when it is revoked, or expired by the use's
    // day. How it died: its own token.revoked record's actor kind, else it
    // was refreshed away (such a token has no record of its own).
    TG_ASSIGN_OR_RETURN(
        auto result,
        conn->Exec(
            "WITH u AS (SELECT DISTINCT ON (id, addr, ua) * "
            "  FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, at_ms bigint, addr text, ua text) "
            "  ORDER BY id, addr, ua, at_ms), "
            "d AS (SELECT u.id, to_timestamp(u.at_ms / 1000.0) AS at, u.addr, u.ua, t.user_id, t.name, "
            "    t.revoked_at IS NOT NULL AS revoked "
            "  FROM u JOIN personal_token t ON t.id = u.id "
            "  WHERE t.revoked_at IS NOT NULL OR t.until < (to_timestamp(u.at_ms / 1000.0) AT TIME ZONE 'UTC')::date) "
            "INSERT INTO audit_event (at, event, actor_kind, actor_name, user_id, user_name, token_id, token_name, "
            "  client_address, user_agent, detail) "
            "SELECT d.at, CASE WHEN d.revoked THEN 'token.used_after_revocation' ELSE 'token.used_after_expiry' END, "
            "  'service', $2, d.user_id, us.name, d.id::text, d.name, d.addr, d.ua, "
            "  CASE WHEN d.revoked THEN 'after: ' || coalesce((SELECT a.actor_kind FROM audit_event a "
            "      WHERE a.token_id = d.id::text AND a.event = 'token.revoked' ORDER BY a.id LIMIT 1), 'refresh') "
            "    || '; ' ELSE '' END || 'edge: ' || $2 "
            "FROM d JOIN \"user\" us ON us.id = d.user_id "
            "WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.token_id = d.id::text "
            "  AND a.event IN ('token.used_after_revocation', 'token.used_after_expiry') "
            "  AND a.client_address = d.addr AND a.user_agent = d.ua AND a.at > d.at - interval '1 hour') "
            "RETURNING token_id, client_address",
            {batch, ClipForAudit(edge, kMaxClientBytes)}));
    for (int row = 0; row < result.rows(); ++row) {
      recorded.push_back({std::string(result.Get(row, 0)), std::string(result.Get(row, 1))});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return recorded;
}

absl::Status PgTokenStore::RecordFailure(const AuditRecord& audit) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  return AppendAuditRecord(*conn, audit);
}

absl::StatusOr<AuditPage> PgTokenStore::ListTokenEvents(const std::string& token_id, int page,
                                                        int page_size) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  constexpr absl::string_view kWhere = " FROM audit_event WHERE token_id = $1 OR previous_token_id = $1";
  TG_ASSIGN_OR_RETURN(auto count, conn->Exec(absl::StrCat("SELECT count(*)", kWhere), {token_id}));
  auto result =
      conn->Exec(absl::StrCat("SELECT ", kAuditColumns, kWhere, " ORDER BY id DESC LIMIT $2 OFFSET $3"),
                 {token_id, absl::StrCat(page_size), Offset(page, page_size)});
  if (!result.ok()) return result.status();
  AuditPage out;
  out.total_count = count.GetInt(0, 0);
  for (int row = 0; row < result->rows(); ++row) out.items.push_back(AuditEntryFromRow(*result, row));
  return out;
}

}  // namespace tokengate
