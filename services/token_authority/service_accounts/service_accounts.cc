#include "services/token_authority/service_accounts/service_accounts.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/field_error.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "services/token_authority/tokens/token_store.h"

namespace tokengate {
namespace {

constexpr int kMaxNameChars = 64;
constexpr size_t kMaxTextBytes = 1024;
constexpr int kMaxPageSize = 50;
constexpr int kDefaultPageSize = 20;

// Columns every account query selects, in this order (see FromRow); the
// manager list as one text, names joined by newlines (no name holds one).
constexpr absl::string_view kColumns =
    "s.user_id, s.name, s.description, s.email, s.webhook_url, "
    "floor(extract(epoch FROM s.created_at))::bigint, "
    "coalesce(floor(extract(epoch FROM s.disabled_at))::bigint, 0), "
    "coalesce((SELECT string_agg(u.name, E'\\n' ORDER BY u.name) FROM service_account_manager m "
    "JOIN \"user\" u ON u.id = m.user_id WHERE m.service_account_id = s.user_id), '')";

void FromRow(const PgResult& r, int row, v1::ServiceAccount* out) {
  out->set_user_id(r.GetInt(row, 0));
  out->set_name(std::string(r.Get(row, 1)));
  out->set_owner_name(absl::StrCat(kServiceAccountPrefix, r.Get(row, 1)));
  out->set_description(std::string(r.Get(row, 2)));
  out->set_email(std::string(r.Get(row, 3)));
  out->set_webhook_url(std::string(r.Get(row, 4)));
  out->set_created_at_unix(r.GetInt(row, 5));
  out->set_disabled_at_unix(r.GetInt(row, 6));
  for (absl::string_view manager : absl::StrSplit(r.Get(row, 7), '\n', absl::SkipEmpty())) {
    out->add_managers(std::string(manager));
  }
}

// Letters, digits, '.', '-', '_': safe in a URL path, an IdP group name and
// after "sa:" (a ':' would let "a:b" pass for another prefix).
absl::Status ValidateName(const std::string& name) {
  if (name.empty())
    return InvalidField("name", "string_too_short", "String should have at least 1 character");
  if (name.size() > kMaxNameChars) {
    return InvalidField("name", "string_too_long",
                        absl::StrCat("String should have at most ", kMaxNameChars, " characters"));
  }
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return InvalidField("name", "string_pattern_mismatch",
                          "String should match pattern '^[A-Za-z0-9._-]+$'",
                          "{\"pattern\":\"^[A-Za-z0-9._-]+$\"}");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, const std::string& text) {
  TG_RETURN_IF_ERROR(CheckNoControlCharacters(field, text));
  if (text.size() > kMaxTextBytes) {
    return InvalidField(field, "string_too_long",
                        absl::StrCat("String should have at most ", kMaxTextBytes, " characters"));
  }
  return absl::OkStatus();
}

absl::Status NotFound(const std::string& name) {
  return EntityError(absl::StatusCode::kNotFound, "ServiceAccount", "name", name);
}

absl::Status RequirePerson(const std::string& user_name) {
  if (user_name.empty()) return InvalidField("user_name", "missing", "user_name is required");
  TG_RETURN_IF_ERROR(CheckNoControlCharacters("user_name", user_name));
  return CheckPersonName(user_name);
}

// An account's audit record: its owner is the account itself.
AuditRecord AccountRecord(absl::string_view event, const AuditActor& actor, int64_t user_id,
                          const std::string& name, std::string detail) {
  return AuditRecord{.event = std::string(event),
                     .actor = actor,
                     .user_id = user_id,
                     .user_name = absl::StrCat(kServiceAccountPrefix, name),
                     .detail = std::move(detail)};
}

}  // namespace

absl::Status CheckPersonName(absl::string_view user_name) {
  if (!absl::StartsWith(user_name, kServiceAccountPrefix)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("Names starting with '", kServiceAccountPrefix, "' belong to service accounts"));
}

absl::StatusOr<v1::CreateServiceAccountResponse> ServiceAccounts::Create(
    const v1::CreateServiceAccountRequest& request, const AuditActor& actor) {
  TG_RETURN_IF_ERROR(ValidateName(request.name()));
  TG_RETURN_IF_ERROR(ValidateText("description", request.description()));
  TG_RETURN_IF_ERROR(ValidateText("email", request.email()));
  TG_RETURN_IF_ERROR(ValidateText("webhook_url", request.webhook_url()));
  const std::string owner = absl::StrCat(kServiceAccountPrefix, request.name());
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  v1::CreateServiceAccountResponse response;
  auto status = InTransaction(*conn, [&]() -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto user,
                        conn->Exec("INSERT INTO \"user\" (name) VALUES ($1) "
                                   "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                                   {owner}));
    const std::string user_id = absl::StrCat(user.GetInt(0, 0));
    // A disabled account of that name comes back; an enabled one is a clash.
    TG_ASSIGN_OR_RETURN(
        auto written,
        conn->Exec(
            "INSERT INTO service_account AS s (user_id, name, description, email, webhook_url) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, "
            "email = EXCLUDED.email, webhook_url = EXCLUDED.webhook_url, disabled_at = NULL "
            "WHERE s.disabled_at IS NOT NULL RETURNING (xmax <> 0)",
            {user_id, request.name(), request.description(), request.email(), request.webhook_url()}));
    if (written.rows() == 0) {
      return EntityError(absl::StatusCode::kAlreadyExists, "ServiceAccount", "name", request.name());
    }
    const bool enabled_again = written.Get(0, 0) == "t";
    TG_RETURN_IF_ERROR(
        AppendAuditRecord(*conn, AccountRecord(kAuditServiceAccountCreated, actor, user.GetInt(0, 0),
                                               request.name(), enabled_again ? "enabled again" : "")));
    TG_ASSIGN_OR_RETURN(auto row, conn->Exec(absl::StrCat("SELECT ", kColumns,
                                                          " FROM service_account s WHERE s.user_id = $1"),
                                             {user_id}));
    FromRow(row, 0, response.mutable_service_account());
    return absl::OkStatus();
  });
  TG_RETURN_IF_ERROR(status);
  TG_LOG(Info) << "created service account " << owner << " user_id=" << response.service_account().user_id();
  return response;
}

absl::StatusOr<v1::ListServiceAccountsResponse> ServiceAccounts::List(
    const v1::ListServiceAccountsRequest& request) {
  const int page = request.page() == 0 ? 1 : request.page();
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (page < 1)
    return InvalidField("page", "greater_than_equal", "Input should be greater than or equal to 1");
  if (page_size < 1 || page_size > kMaxPageSize) {
    return InvalidField("page_size", "less_than_equal",
                        absl::StrCat("Input should be between 1 and ", kMaxPageSize));
  }
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  const std::string where = " FROM service_account s WHERE ($1::boolean OR s.disabled_at IS NULL)";
  const std::string all = request.include_disabled() ? "true" : "false";
  TG_ASSIGN_OR_RETURN(auto count, conn->Exec(absl::StrCat("SELECT count(*)", where), {all}));
  TG_ASSIGN_OR_RETURN(
      auto rows,
      conn->Exec(absl::StrCat("SELECT ", kColumns, where, " ORDER BY s.name LIMIT $2 OFFSET $3"),
                 {all, absl::StrCat(page_size), absl::StrCat(static_cast<int64_t>(page - 1) * page_size)}));
  v1::ListServiceAccountsResponse response;
  for (int i = 0; i < rows.rows(); ++i) FromRow(rows, i, response.add_service_accounts());
  response.set_total_count(count.GetInt(0, 0));
  return response;
}

absl::StatusOr<int64_t> ServiceAccounts::EnabledAccountId(const std::string& name) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(auto found, conn->Exec("SELECT user_id FROM service_account WHERE name = $1 AND "
                                             "disabled_at IS NULL",
                                             {name}));
  if (found.rows() == 0) return NotFound(name);
  return found.GetInt(0, 0);
}

absl::StatusOr<v1::DisableServiceAccountResponse> ServiceAccounts::Disable(
    const v1::DisableServiceAccountRequest& request, const AuditActor& actor) {
  TG_RETURN_IF_ERROR(ValidateName(request.name()));
  TG_ASSIGN_OR_RETURN(const int64_t user_id, EnabledAccountId(request.name()));
  std::vector<std::string> ids;
  // The owner's row is locked first, as every token write locks it, so no
  // create can slip in between the revocations and the mark.
  TG_RETURN_IF_ERROR(WriteForOwner(*pool_, user_id, [&](PgConnection& tx) -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto marked, tx.Exec("UPDATE service_account SET disabled_at = now() "
                                             "WHERE user_id = $1 AND disabled_at IS NULL RETURNING 1",
                                             {absl::StrCat(user_id)}));
    if (marked.rows() == 0) return NotFound(request.name());
    AuditRecord per_token =
        AccountRecord(kAuditTokenRevoked, actor, user_id, request.name(), "service account disabled");
    TG_ASSIGN_OR_RETURN(ids, RevokeActiveTokens(tx, user_id, per_token));
    return AppendAuditRecord(tx, AccountRecord(kAuditServiceAccountDisabled, actor, user_id, request.name(),
                                               absl::StrCat(ids.size(), " tokens revoked")));
  }));
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  v1::DisableServiceAccountResponse response;
  for (const std::string& id : ids) {
    tokens_->OnRevoked(Revocation{id, now});
    response.add_token_ids(id);
  }
  response.set_revoked_count(static_cast<int32_t>(ids.size()));
  TG_LOG(Info) << "disabled service account user_id=" << user_id << ", revoked " << ids.size() << " tokens";
  return response;
}

absl::StatusOr<v1::ServiceAccountManagerResponse> ServiceAccounts::ChangeManagers(
    const v1::ServiceAccountManagerRequest& request,
    absl::FunctionRef<absl::Status(PgConnection&, int64_t account_id)> change) {
  TG_RETURN_IF_ERROR(ValidateName(request.name()));
  TG_RETURN_IF_ERROR(RequirePerson(request.user_name()));
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  v1::ServiceAccountManagerResponse response;
  TG_RETURN_IF_ERROR(InTransaction(*conn, [&]() -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto account, conn->Exec("SELECT user_id FROM service_account WHERE name = $1 "
                                                 "AND disabled_at IS NULL FOR UPDATE",
                                                 {request.name()}));
    if (account.rows() == 0) return NotFound(request.name());
    const int64_t account_id = account.GetInt(0, 0);
    TG_RETURN_IF_ERROR(change(*conn, account_id));
    TG_ASSIGN_OR_RETURN(auto row, conn->Exec(absl::StrCat("SELECT ", kColumns,
                                                          " FROM service_account s WHERE s.user_id = $1"),
                                             {absl::StrCat(account_id)}));
    FromRow(row, 0, response.mutable_service_account());
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::ServiceAccountManagerResponse> ServiceAccounts::AddManager(
    const v1::ServiceAccountManagerRequest& request, const AuditActor& actor) {
  return ChangeManagers(request, [&](PgConnection& conn, int64_t account_id) -> absl::Status {
    // A person an admin names may not have logged in yet: the row is theirs
    // once they do (and offboarding finds them).
    TG_ASSIGN_OR_RETURN(auto person, conn.Exec("INSERT INTO \"user\" (name) VALUES ($1) ON CONFLICT (name) "
                                               "DO UPDATE SET name = EXCLUDED.name RETURNING id",
                                               {request.user_name()}));
    TG_ASSIGN_OR_RETURN(auto added,
                        conn.Exec("INSERT INTO service_account_manager (service_account_id, user_id) "
                                  "VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
                                  {absl::StrCat(account_id), absl::StrCat(person.GetInt(0, 0))}));
    if (added.rows() == 0) return absl::OkStatus();  // Already a manager: nothing to record.
    return AppendAuditRecord(conn, AccountRecord(kAuditManagerAdded, actor, account_id, request.name(),
                                                 absl::StrCat("manager ", request.user_name())));
  });
}

absl::StatusOr<v1::ServiceAccountManagerResponse> ServiceAccounts::RemoveManager(
    const v1::ServiceAccountManagerRequest& request, const AuditActor& actor) {
  return ChangeManagers(request, [&](PgConnection& conn, int64_t account_id) -> absl::Status {
    TG_ASSIGN_OR_RETURN(
        auto removed,
        conn.Exec("DELETE FROM service_account_manager m USING \"user\" u "
                  "WHERE m.service_account_id = $1 AND m.user_id = u.id AND u.name = $2 RETURNING 1",
                  {absl::StrCat(account_id), request.user_name()}));
    if (removed.rows() == 0) {
      return EntityError(absl::StatusCode::kNotFound, "ServiceAccountManager", "user_name",
                         request.user_name());
    }
    return AppendAuditRecord(conn, AccountRecord(kAuditManagerRemoved, actor, account_id, request.name(),
                                                 absl::StrCat("manager ", request.user_name())));
  });
}

absl::StatusOr<v1::ListManagedServiceAccountsResponse> ServiceAccounts::ListManaged(
    const v1::ListManagedServiceAccountsRequest& request) {
  TG_RETURN_IF_ERROR(RequirePerson(request.user_name()));
  // Only well-formed names: they go into an array literal.
  std::vector<std::string> by_group;
  for (const std::string& name : request.actor().managed_service_accounts()) {
    if (ValidateName(name).ok()) by_group.push_back(name);
  }
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(
      auto rows,
      conn->Exec(
          absl::StrCat(
              "SELECT ", kColumns,
              " FROM service_account s WHERE s.disabled_at IS NULL AND ("
              "s.name = ANY($2::text[]) OR EXISTS (SELECT 1 FROM service_account_manager m "
              "JOIN \"user\" u ON u.id = m.user_id WHERE m.service_account_id = s.user_id AND u.name = $1)) "
              "ORDER BY s.name"),
          {request.user_name(), absl::StrCat("{", absl::StrJoin(by_group, ","), "}")}));
  v1::ListManagedServiceAccountsResponse response;
  for (int i = 0; i < rows.rows(); ++i) {
    v1::ServiceAccount* account = response.add_service_accounts();
    FromRow(rows, i, account);
    account->clear_managers();  // Who else manages it is the admins' business.
  }
  return response;
}

absl::StatusOr<std::string> ServiceAccounts::OwnerFor(const std::string& name, const std::string& person,
                                                      const v1::Actor* actor, TokenAccess access) {
  TG_RETURN_IF_ERROR(RequirePerson(person));
  if (!ValidateName(name).ok()) return NotFound(name);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(
      auto row,
      conn->Exec("SELECT EXISTS (SELECT 1 FROM service_account_manager m JOIN \"user\" u ON u.id = m.user_id "
                 "WHERE m.service_account_id = s.user_id AND u.name = $2) FROM service_account s "
                 "WHERE s.name = $1 AND s.disabled_at IS NULL",
                 {name, person}));
  if (row.rows() == 0) return NotFound(name);
  bool manager = row.Get(0, 0) == "t";
  if (actor != nullptr && !manager) {
    const auto& groups = actor->managed_service_accounts();
    manager = std::find(groups.begin(), groups.end(), name) != groups.end();
  }
  const std::string owner = absl::StrCat(kServiceAccountPrefix, name);
  if (manager) return owner;
  if (actor == nullptr || !actor->admin()) return NotFound(name);
  if (access == TokenAccess::kWrite) {
    return absl::PermissionDeniedError(
        absl::StrCat("User '", person, "' does not manage service account '", name,
                     "': an administrator adds managers, managers create and refresh its tokens"));
  }
  return owner;
}

absl::StatusOr<std::vector<std::string>> ServiceAccounts::RemoveEverywhere(const std::string& person,
                                                                           const AuditActor& actor) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  std::vector<std::string> names;
  TG_RETURN_IF_ERROR(InTransaction(*conn, [&]() -> absl::Status {
    names.clear();
    TG_ASSIGN_OR_RETURN(
        auto removed,
        conn->Exec(
            "WITH gone AS (DELETE FROM service_account_manager m USING \"user\" u "
            "  WHERE m.user_id = u.id AND u.name = $1 RETURNING m.service_account_id) "
            "SELECT s.user_id, s.name FROM gone JOIN service_account s ON s.user_id = gone.service_account_id "
            "ORDER BY s.name",
            {person}));
    for (int i = 0; i < removed.rows(); ++i) {
      const std::string name(removed.Get(i, 1));
      TG_RETURN_IF_ERROR(
          AppendAuditRecord(*conn, AccountRecord(kAuditManagerRemoved, actor, removed.GetInt(i, 0), name,
                                                 absl::StrCat("manager ", person, " (offboarding)"))));
      names.push_back(name);
    }
    return absl::OkStatus();
  }));
  return names;
}

}  // namespace tokengate
