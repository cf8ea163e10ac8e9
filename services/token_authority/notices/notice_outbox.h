// The notice outbox (table token_notice): a notice is a row before it is
// sent, so "once per token, kind, threshold and channel" is the table's
// unique key, not a hope. Rows go pending → sending → sent (or back to
// pending with a back-off, or failed, or dropped). Runs on the caller's
// connection: the scheduler's own, which also holds the delivery lock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/postgres.h"
#include "services/token_authority/notices/notice_message.h"

namespace tokengate {

// A notice claimed for sending, and whether its token is still live.
struct ClaimedNotice {
  Notice notice;
  int64_t user_id = 0;
  bool token_revoked = false;
};

class NoticeOutbox {
 public:
  explicit NoticeOutbox(PgConnection* conn) : conn_(conn) {}

  // The one-sender lock (a session-level advisory lock): held until this
  // connection closes, so a killed holder frees it at once.
  absl::StatusOr<bool> TryLock();
  // Rows a previous holder left in `sending` (it died mid-delivery) go back
  // to pending. Run right after taking the lock.
  absl::StatusOr<int> RequeueInterrupted();
  // For each live token that expires within one of `days` (ascending, not empty): one
  // row for the NEAREST such threshold per channel. A token that crossed 7
  // and 1 while nobody was scanning gets only the 1-day notice, and never a
  // 7-day one later (it is already within 1 day).
  absl::StatusOr<int> EnqueueExpiring(const std::vector<int>& days, const std::vector<std::string>& channels);
  // For each (token, address, UTC day) with a dead-token use record of the
  // last two days: one row per channel (issue 24). The row names the first
  // record's user agent.
  absl::StatusOr<int> EnqueueDeadUses(const std::vector<std::string>& channels);
  // The next due pending row of one of `channels`, now `sending` with
  // attempts + 1; nullopt: none due.
  absl::StatusOr<std::optional<ClaimedNotice>> ClaimNext(const std::vector<std::string>& channels);
  absl::Status MarkSent(int64_t id);
  absl::Status MarkRetry(int64_t id, absl::Duration delay, const std::string& error);
  // Final: `state` is "failed" or "dropped".
  absl::Status MarkFinal(int64_t id, absl::string_view state, const std::string& error);

 private:
  PgConnection* conn_;
};

// Who a notice about a token is sent to by e-mail: its owner's address (the
// claimed row's). The hook for tokens that belong to a service account, whose
// managers are told instead (issue 23); empty: nobody to mail.
std::vector<std::string> NoticeRecipients(const ClaimedNotice& claimed);

// "{a,b}": a PostgreSQL array literal of plain words (channel names, ids, numbers).
std::string PgWordArray(const std::vector<std::string>& words);

}  // namespace tokengate
