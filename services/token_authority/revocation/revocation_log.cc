#include "services/token_authority/revocation/revocation_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace tokengate {

namespace {

// Rows one shared read fetches at most: more than WatchRevocations replays at once.
constexpr int kSharedRows = 1000;

}  // namespace

absl::StatusOr<RevocationLogSlice> RevocationLog::ReadAfter(int64_t position, int limit) {
  std::shared_ptr<const Shared> shared;
  mutex_.Lock();
  const int64_t call = ++calls_;
  // Only callers that want rows say where from; the read starts at the lowest.
  if (limit > 0) waiting_from_ = std::min(waiting_from_, position);
  while (shared_ == nullptr || shared_->covers < call) {
    if (reading_) {
      mutex_.Await(absl::Condition(
          +[](bool* reading) { return !*reading; }, &reading_));
      continue;
    }
    // This read begins now: it serves every call made so far.
    reading_ = true;
    const int64_t covers = calls_;
    const int64_t from = waiting_from_ == kNobodyWaiting ? position : waiting_from_;
    waiting_from_ = kNobodyWaiting;
    mutex_.Unlock();
    auto read = Query(from, kSharedRows);
    mutex_.Lock();
    shared_ =
        std::make_shared<const Shared>(Shared{.covers = covers, .from = from, .slice = std::move(read)});
    reading_ = false;
  }
  shared = shared_;
  mutex_.Unlock();

  if (!shared->slice.ok()) return shared->slice.status();
  const std::vector<LoggedRevocation>& rows = shared->slice->items;
  RevocationLogSlice slice{.log_id = shared->slice->log_id,
                           .pruned_through = shared->slice->pruned_through,
                           .head = shared->slice->head};
  if (limit == 0) return slice;
  auto after = std::upper_bound(rows.begin(), rows.end(), position,
                                [](int64_t p, const LoggedRevocation& row) { return p < row.position; });
  for (; after != rows.end() && static_cast<int>(slice.items.size()) < limit; ++after)
    slice.items.push_back(*after);
  // The shared read began below `position` (it has all that follows) unless
  // this caller came after it; and it may have stopped short of what this one wants.
  const bool truncated = rows.size() == static_cast<size_t>(kSharedRows) && after == rows.end();
  if (position < shared->from || (truncated && static_cast<int>(slice.items.size()) < limit)) {
    return Query(position, limit);
  }
  return slice;
}

absl::StatusOr<RevocationLogSlice> RevocationLog::Query(int64_t position, int limit) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  // One statement, one snapshot: the bounds and the rows agree.
  TG_ASSIGN_OR_RETURN(
      auto result,
      conn->Exec(
          absl::StrCat(
              "SELECT s.log_id::text, s.pruned_through, "
              "  greatest(s.pruned_through, (SELECT coalesce(max(position), 0) FROM revocation_log)), "
              "  l.position, l.token_id::text, floor(extract(epoch FROM l.revoked_at))::bigint, "
              "  floor(extract(epoch FROM l.expires_at))::bigint "
              "FROM revocation_log_state s LEFT JOIN LATERAL ("
              "  SELECT * FROM revocation_log WHERE position > $1 ORDER BY position LIMIT $2) l ON true "
              "ORDER BY l.position"),
          {absl::StrCat(position), absl::StrCat(limit)}));
  if (result.rows() == 0) return absl::InternalError("revocation_log_state has no row");
  RevocationLogSlice slice;
  slice.log_id = std::string(result.Get(0, 0));
  slice.pruned_through = result.GetInt(0, 1);
  slice.head = result.GetInt(0, 2);
  for (int row = 0; row < result.rows(); ++row) {
    if (result.IsNull(row, 3)) continue;  // The LEFT JOIN's row when nothing came after.
    slice.items.push_back(LoggedRevocation{.position = result.GetInt(row, 3),
                                           .token_id = std::string(result.Get(row, 4)),
                                           .revoked_at_unix = result.GetInt(row, 5),
                                           .expires_at_unix = result.GetInt(row, 6)});
  }
  return slice;
}

absl::StatusOr<int64_t> RevocationLog::Prune(absl::Duration retention) {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(
      auto result,
      conn->Exec(
          "WITH gone AS (DELETE FROM revocation_log "
          "  WHERE revoked_at < now() - make_interval(secs => $1) RETURNING position) "
          "UPDATE revocation_log_state "
          "SET pruned_through = greatest(pruned_through, (SELECT coalesce(max(position), 0) FROM gone)) "
          "RETURNING (SELECT count(*) FROM gone)",
          {absl::StrCat(absl::ToInt64Seconds(retention))}));
  return result.GetInt(0, 0);
}

void RevocationLog::StartPruning(absl::Duration retention, absl::Duration interval) {
  pruner_.Start(interval, [this, retention] {
    auto pruned = Prune(retention);
    if (!pruned.ok()) {
      TG_LOG(Warning) << "revocation log not pruned, will retry: " << pruned.status().message();
    } else if (*pruned > 0) {
      TG_LOG(Info) << "pruned " << *pruned << " revocations older than " << absl::FormatDuration(retention)
                   << " from the revocation log";
    }
  });
}

bool CanResumeFrom(const std::string& log_id, int64_t position, const RevocationLogSlice& slice) {
  return log_id == slice.log_id && position >= slice.pruned_through && position <= slice.head;
}

}  // namespace tokengate
