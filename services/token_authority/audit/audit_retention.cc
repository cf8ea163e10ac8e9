#include "services/token_authority/audit/audit_retention.h"

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

// The transaction advisory lock that lets one replica clean up at a time.
constexpr int64_t kRetentionLock = 7305412283;

}  // namespace

absl::StatusOr<int64_t> AuditRetention::PruneOnce() {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  int64_t pruned = 0;
  auto status = InTransaction(*conn, [&]() -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto locked,
                        conn->Exec("SELECT pg_try_advisory_xact_lock($1)", {absl::StrCat(kRetentionLock)}));
    if (locked.Get(0, 0) != "t") return absl::OkStatus();
    auto result =
        conn->Exec("SELECT audit_event_prune(make_interval(secs => $1), $2)",
                   {absl::StrCat(absl::ToInt64Seconds(retention_)), published_only_ ? "true" : "false"});
    if (!result.ok()) return result.status();
    pruned = result->GetInt(0, 0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return pruned;
}

void AuditRetention::Start(absl::Duration interval) {
  task_.Start(interval, [this] {
    auto pruned = PruneOnce();
    if (!pruned.ok()) {
      TG_LOG(Warning) << "audit records not pruned, will retry: " << pruned.status().message();
    } else if (*pruned > 0) {
      TG_LOG(Info) << "pruned " << *pruned << " audit records older than "
                   << absl::FormatDuration(retention_);
    }
  });
}

}  // namespace tokengate
