// Delivers owner notices from the outbox, on one replica at a time: every
// replica runs a scheduler, and only the one holding the outbox's advisory
// lock scans and sends. Each scan (every TOKENGATE_EXPIRY_SCAN_SECONDS, or at
// once when woken) queues the expiry notices that became due, then sends what
// is due: claim row → send → mark sent. A failed attempt is retried with a
// doubling back-off up to TOKENGATE_NOTICE_MAX_ATTEMPTS, then marked failed.
// The one duplicate window: the holder dies (or loses its database
// connection, and with it the lock) after the receiver accepted a notice and
// before the row says so; the next holder sends it again, with the same
// notice id (Message-ID, X-Tokengate-Notice-Id) for receivers to drop.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/base/periodic_task.h"
#include "common/pg/postgres.h"
#include "services/token_authority/notices/notice_config.h"
#include "services/token_authority/notices/notice_outbox.h"
#include "services/token_authority/notices/notice_sender.h"

namespace tokengate {

class NoticeScheduler {
 public:
  // `email` and `webhook` may be null (channel off).
  NoticeScheduler(NoticeConfig config, std::string database_url, NoticeSender* email, NoticeSender* webhook);
  ~NoticeScheduler();

  // The channels that are on, as the outbox names them.
  std::vector<std::string> Channels() const;
  void Start();
  // Finishes the delivery in progress (bounded by the send timeout), then
  // closes the connection, which frees the lock for another replica.
  void Stop();
  // Scan now (e.g. a leak report queued notices).
  void Wake();

 private:
  void Scan();
  // Sends what is due. A channel whose attempt failed for a reason worth a
  // retry (its server is down or slow) gets no further attempts in this scan,
  // so it cannot hold up the other channel or burn its notices' attempts.
  void DeliverDue(NoticeOutbox& outbox);
  // The attempt's outcome; UNAVAILABLE when it is worth a retry.
  absl::Status Deliver(NoticeOutbox& outbox, const ClaimedNotice& claimed);
  // The row says sent and, for an expiry notice, the audit trail says so too, in one transaction.
  absl::Status RecordSent(NoticeOutbox& outbox, const ClaimedNotice& claimed);
  absl::Duration BackOff(int attempts) const;
  void DropConnection(const absl::Status& why);

  const NoticeConfig config_;
  const std::string database_url_;
  NoticeSender* email_;
  NoticeSender* webhook_;

  std::unique_ptr<PgConnection> conn_;  // Only the scheduler thread touches it.
  bool holding_lock_ = false;

  PeriodicTask loop_;  // Last: stopped before the members it uses go.
};

}  // namespace tokengate
