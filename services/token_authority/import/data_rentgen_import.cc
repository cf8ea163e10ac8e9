#include "services/token_authority/import/data_rentgen_import.h"

#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "services/token_authority/audit/audit_record.h"

namespace tokengate {
namespace {

struct SourceUser {
  std::string id;
  std::string name;
};

struct SourceToken {
  std::string id;
  std::string user_id;
  std::string name;
  std::string scopes_json;
  std::string since;
  std::string until;
  PgParam revoked_at_epoch;  // Seconds with a fraction; nullopt while live.
};

struct Snapshot {
  std::vector<SourceUser> users;
  std::vector<SourceToken> tokens;
};

absl::Status NotDataRentgen(const absl::Status& status) {
  return absl::FailedPreconditionError(absl::StrCat(
      "the source does not look like a Data.Rentgen database with personal tokens (0.7 or later): ",
      status.message()));
}

absl::StatusOr<Snapshot> ReadSource(PgConnection& source) {
  // Users and tokens from one snapshot, so no token lacks its user.
  if (auto begin = source.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !begin.ok()) {
    return begin.status();
  }
  Snapshot snapshot;
  auto users = source.Exec("SELECT id::text, name FROM \"user\" ORDER BY id");
  if (!users.ok()) return NotDataRentgen(users.status());
  for (int i = 0; i < users->rows(); ++i) {
    snapshot.users.push_back({std::string(users->Get(i, 0)), std::string(users->Get(i, 1))});
  }
  auto tokens = source.Exec(
      "SELECT id::text, user_id::text, name, scopes::text, since::text, until::text, "
      "extract(epoch FROM revoked_at)::text FROM personal_token ORDER BY id");
  if (!tokens.ok()) return NotDataRentgen(tokens.status());
  for (int i = 0; i < tokens->rows(); ++i) {
    snapshot.tokens.push_back(SourceToken{
        .id = std::string(tokens->Get(i, 0)),
        .user_id = std::string(tokens->Get(i, 1)),
        .name = std::string(tokens->Get(i, 2)),
        .scopes_json = std::string(tokens->Get(i, 3)),
        .since = std::string(tokens->Get(i, 4)),
        .until = std::string(tokens->Get(i, 5)),
        .revoked_at_epoch = tokens->IsNull(i, 6) ? PgParam() : PgParam(std::string(tokens->Get(i, 6)))});
  }
  (void)source.Exec("COMMIT");
  return snapshot;
}

absl::Status ImportUser(PgConnection& target, const SourceUser& user, DataRentgenImportCounts& counts) {
  auto existing =
      target.Exec("SELECT id::text, name FROM \"user\" WHERE id = $1 OR name = $2", {user.id, user.name});
  if (!existing.ok()) return existing.status();
  for (int i = 0; i < existing->rows(); ++i) {
    if (existing->Get(i, 0) != user.id || existing->Get(i, 1) != user.name) {
      return absl::AlreadyExistsError(absl::StrCat("Data.Rentgen's user id=", user.id, " name='", user.name,
                                                   "' clashes with user id=", existing->Get(i, 0), " name='",
                                                   existing->Get(i, 1), "' here"));
    }
  }
  if (existing->rows() > 0) {
    ++counts.users_present;
    return absl::OkStatus();
  }
  TG_RETURN_IF_ERROR(target.Exec("INSERT INTO \"user\" (id, name) VALUES ($1, $2)", {user.id, user.name}));
  ++counts.users_added;
  return absl::OkStatus();
}

// The import's audit record for `token` (actor: the system, named by the command).
absl::Status AuditImport(PgConnection& target, absl::string_view event, const SourceToken& token,
                         const std::string& user_name, absl::string_view detail) {
  int64_t user_id = 0;
  (void)absl::SimpleAtoi(token.user_id, &user_id);
  return AppendAuditRecord(target, AuditRecord{.event = std::string(event),
                                               .actor = AuditActor{.kind = std::string(kActorSystem),
                                                                   .name = "import-data-rentgen"},
                                               .user_id = user_id,
                                               .user_name = user_name,
                                               .token_id = token.id,
                                               .token_name = token.name,
                                               .detail = std::string(detail)});
}

absl::Status ImportToken(PgConnection& target, const SourceToken& token, const std::string& user_name,
                         DataRentgenImportCounts& counts) {
  TG_ASSIGN_OR_RETURN(
      auto existing,
      target.Exec("SELECT user_id::text, revoked_at IS NOT NULL FROM personal_token WHERE id = $1",
                  {token.id}));
  if (existing.rows() == 0) {
    auto inserted = target.Exec(
        "INSERT INTO personal_token (id, user_id, name, scopes, since, until, revoked_at) "
        "VALUES ($1, $2, $3, $4::jsonb, $5, $6, to_timestamp($7::double precision))",
        {token.id, token.user_id, token.name, token.scopes_json, token.since, token.until,
         token.revoked_at_epoch});
    if (absl::IsAlreadyExists(inserted.status())) {
      return absl::AlreadyExistsError(absl::StrCat(
          "Data.Rentgen's personal token id=", token.id, " (user id=", token.user_id, ", name='", token.name,
          "') overlaps a live token of the same name here; revoke one of them first"));
    }
    if (!inserted.ok()) return inserted.status();
    ++counts.tokens_added;
    return AuditImport(target, kAuditTokenCreated, token, user_name,
                       token.revoked_at_epoch ? "imported from Data.Rentgen, where it is revoked"
                                              : "imported from Data.Rentgen");
  }
  if (existing.Get(0, 0) != token.user_id) {
    return absl::AlreadyExistsError(absl::StrCat("personal token id=", token.id,
                                                 " belongs to user id=", existing.Get(0, 0),
                                                 " here but to user id=", token.user_id, " in Data.Rentgen"));
  }
  // A revocation is carried over; nothing is ever un-revoked here.
  const bool revoked_here = existing.Get(0, 1) == "t";
  if (token.revoked_at_epoch && !revoked_here) {
    auto revoked = target.Exec(
        "UPDATE personal_token SET revoked_at = to_timestamp($2::double precision) "
        "WHERE id = $1 AND revoked_at IS NULL",
        {token.id, token.revoked_at_epoch});
    if (!revoked.ok()) return revoked.status();
    ++counts.tokens_revoked;
    return AuditImport(target, kAuditTokenRevoked, token, user_name, "revoked in Data.Rentgen");
  }
  ++counts.tokens_present;
  return absl::OkStatus();
}

}  // namespace

std::string FormatCounts(const DataRentgenImportCounts& counts) {
  return absl::StrCat("users: ", counts.users_added, " added, ", counts.users_present,
                      " already here; personal tokens: ", counts.tokens_added, " added, ",
                      counts.tokens_revoked, " newly revoked, ", counts.tokens_present, " already here");
}

absl::StatusOr<DataRentgenImportCounts> ImportFromDataRentgen(PgConnection& source, PgConnection& target) {
  TG_ASSIGN_OR_RETURN(auto snapshot, ReadSource(source));
  DataRentgenImportCounts counts;
  auto result = InTransaction(target, [&]() -> absl::StatusOr<bool> {
    for (const auto& user : snapshot.users) {
      TG_RETURN_IF_ERROR(ImportUser(target, user, counts));
    }
    // Ids kept from Data.Rentgen must not be handed out again to new users.
    TG_RETURN_IF_ERROR(
        target.Exec("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), "
                    "greatest(coalesce((SELECT max(id) FROM \"user\"), 0), 1))"));
    absl::flat_hash_map<std::string, std::string> user_names;
    for (const auto& user : snapshot.users) user_names[user.id] = user.name;
    for (const auto& token : snapshot.tokens) {
      TG_RETURN_IF_ERROR(ImportToken(target, token, user_names[token.user_id], counts));
    }
    return true;
  });
  if (!result.ok()) return result.status();
  return counts;
}

}  // namespace tokengate
