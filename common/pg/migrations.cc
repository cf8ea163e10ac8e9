#include "common/pg/migrations.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

// Any constant shared by all replicas; "tkgt" in ASCII.
constexpr absl::string_view kLockKey = "1953196916";

absl::Status ApplyPending(PgConnection& conn, const std::vector<Migration>& migrations, int* applied) {
  TG_ASSIGN_OR_RETURN(auto done, conn.Exec("SELECT name FROM schema_migrations"));
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < done.rows(); ++i) names.insert(std::string(done.Get(i, 0)));
  for (const auto& migration : migrations) {
    if (names.contains(migration.name)) continue;
    auto result = InTransaction(conn, [&]() -> absl::StatusOr<PgResult> {
      TG_RETURN_IF_ERROR(conn.ExecScript(migration.sql));
      return conn.Exec("INSERT INTO schema_migrations (name) VALUES ($1)", {migration.name});
    });
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat("migration ", migration.name, ": ", result.status().message()));
    }
    TG_LOG(Info) << "applied migration " << migration.name;
    if (applied != nullptr) ++*applied;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyMigrations(PgConnection& conn, const std::vector<Migration>& migrations, int* applied) {
  if (applied != nullptr) *applied = 0;
  TG_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"));
  if (auto lock = conn.Exec(absl::StrCat("SELECT pg_advisory_lock(", kLockKey, ")")); !lock.ok()) {
    return lock.status();
  }
  absl::Status status = ApplyPending(conn, migrations, applied);
  (void)conn.Exec(absl::StrCat("SELECT pg_advisory_unlock(", kLockKey, ")"));
  return status;
}

}  // namespace tokengate
