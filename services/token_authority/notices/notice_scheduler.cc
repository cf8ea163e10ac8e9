#include "services/token_authority/notices/notice_scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "services/token_authority/audit/audit_record.h"

namespace tokengate {
namespace {

// Sends at most this many per scan, so a backlog cannot hold off the next scan's queueing for long.
constexpr int kMaxSendsPerScan = 500;

}  // namespace

NoticeScheduler::NoticeScheduler(NoticeConfig config, std::string database_url, NoticeSender* email,
                                 NoticeSender* webhook)
    : config_(std::move(config)), database_url_(std::move(database_url)), email_(email), webhook_(webhook) {}

NoticeScheduler::~NoticeScheduler() { Stop(); }

std::vector<std::string> NoticeScheduler::Channels() const {
  std::vector<std::string> channels;
  if (email_ != nullptr) channels.push_back("email");
  if (webhook_ != nullptr) channels.push_back("webhook");
  return channels;
}

void NoticeScheduler::Start() {
  loop_.Start([this] {
    Scan();
    return config_.scan_interval;
  });
}

void NoticeScheduler::Stop() {
  loop_.Stop();
  conn_.reset();  // Frees the lock for another replica.
}

void NoticeScheduler::Wake() { loop_.Wake(); }

void NoticeScheduler::DropConnection(const absl::Status& why) {
  TG_LOG(Warning) << "notice scheduler: database error, letting go of the notice lock: " << why.message();
  conn_.reset();
  holding_lock_ = false;
}

void NoticeScheduler::Scan() {
  if (conn_ == nullptr || !conn_->Healthy()) {
    holding_lock_ = false;
    auto conn = PgConnection::Connect(database_url_);
    if (!conn.ok()) {
      TG_LOG(Warning) << "notice scheduler: " << conn.status().message();
      return;
    }
    conn_ = *std::move(conn);
  }
  NoticeOutbox outbox(conn_.get());
  if (!holding_lock_) {
    auto locked = outbox.TryLock();
    if (!locked.ok()) return DropConnection(locked.status());
    if (!*locked) return;  // Another replica delivers.
    holding_lock_ = true;
    auto requeued = outbox.RequeueInterrupted();
    if (!requeued.ok()) return DropConnection(requeued.status());
    TG_LOG(Info) << "notice scheduler: this replica delivers notices now (" << *requeued
                 << " interrupted deliveries queued again)";
  }
  if (!config_.expiry_days.empty()) {
    auto queued = outbox.EnqueueExpiring(config_.expiry_days, Channels());
    if (!queued.ok()) return DropConnection(queued.status());
    if (*queued > 0) TG_LOG(Info) << "notice scheduler: " << *queued << " expiry notices queued";
  }
  auto dead_uses = outbox.EnqueueDeadUses(Channels());
  if (!dead_uses.ok()) return DropConnection(dead_uses.status());
  if (*dead_uses > 0) TG_LOG(Info) << "notice scheduler: " << *dead_uses << " dead-token-use notices queued";
  DeliverDue(outbox);
}

void NoticeScheduler::DeliverDue(NoticeOutbox& outbox) {
  std::vector<std::string> channels = Channels();
  for (int sent = 0; sent < kMaxSendsPerScan && !channels.empty(); ++sent) {
    if (loop_.Stopping()) return;
    auto claimed = outbox.ClaimNext(channels);
    if (!claimed.ok()) return DropConnection(claimed.status());
    if (!claimed->has_value()) return;
    const absl::Status outcome = Deliver(outbox, **claimed);
    if (conn_ == nullptr) return;
    if (absl::IsUnavailable(outcome)) std::erase(channels, (*claimed)->notice.channel);
  }
}

absl::Status NoticeScheduler::Deliver(NoticeOutbox& outbox, const ClaimedNotice& claimed) {
  const Notice& notice = claimed.notice;
  const std::string what = absl::StrCat("notice id=", notice.id, " (", NoticeEvent(notice),
                                        ", token id=", notice.token_id, ", ", notice.channel, ")");
  absl::Status sent;
  absl::Status marked;
  if (notice.kind == NoticeKind::kExpiry && claimed.token_revoked) {
    marked = outbox.MarkFinal(notice.id, "dropped", "the token was revoked before the notice went out");
  } else {
    NoticeSender* sender = notice.channel == "email" ? email_ : webhook_;
    if (sender == nullptr) {
      sent = absl::FailedPreconditionError("channel is off");
    } else if (notice.channel != "email") {
      sent = sender->Send(notice);
    } else {
      // One mail per recipient, each with the notice's id (a retry after a
      // partial failure repeats it to the others, who can drop it by that id).
      for (const std::string& recipient : NoticeRecipients(claimed)) {
        Notice mail = notice;
        mail.email = recipient;
        if (sent = sender->Send(mail); !sent.ok()) break;
      }
    }
    if (sent.ok()) {
      marked = RecordSent(outbox, claimed);
      if (marked.ok()) TG_LOG(Info) << what << " delivered";
    } else if (absl::IsUnavailable(sent) && notice.attempts < config_.max_attempts) {
      const absl::Duration delay = BackOff(notice.attempts);
      TG_LOG(Warning) << what << " attempt " << notice.attempts << " failed, retry in " << delay << ": "
                      << sent.message();
      marked = outbox.MarkRetry(notice.id, delay, std::string(sent.message()));
    } else {
      TG_LOG(Warning) << what << " given up after " << notice.attempts << " attempts: " << sent.message();
      marked = outbox.MarkFinal(notice.id, "failed", std::string(sent.message()));
    }
  }
  if (!marked.ok()) DropConnection(marked);
  return sent;
}

absl::Status NoticeScheduler::RecordSent(NoticeOutbox& outbox, const ClaimedNotice& claimed) {
  const Notice& notice = claimed.notice;
  return InTransaction(*conn_, [&]() -> absl::Status {
    TG_RETURN_IF_ERROR(outbox.MarkSent(notice.id));
    // A leak notice follows the revocation's own record (actor leak-report);
    // the audit trail has no event of its own for it.
    if (notice.kind != NoticeKind::kExpiry) return absl::OkStatus();
    return AppendAuditRecord(
        *conn_, AuditRecord{.event = std::string(kAuditTokenExpiryNotice),
                            .actor = AuditActor{.kind = std::string(kActorSystem), .name = "token-authority"},
                            .user_id = claimed.user_id,
                            .user_name = notice.user_name,
                            .token_id = notice.token_id,
                            .token_name = notice.token_name,
                            .detail = absl::StrCat("channel=", notice.channel,
                                                   " threshold_days=", notice.threshold_days)});
  });
}

absl::Duration NoticeScheduler::BackOff(int attempts) const {
  absl::Duration delay = config_.retry_delay;
  for (int i = 1; i < attempts && delay < kMaxRetryDelay; ++i) delay *= 2;
  return std::min(delay, kMaxRetryDelay);
}

}  // namespace tokengate
