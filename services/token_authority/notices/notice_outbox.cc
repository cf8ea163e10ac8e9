#include "services/token_authority/notices/notice_outbox.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/dates.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

// pg_advisory_lock key of the notice sender ("tokengate notices").
constexpr absl::string_view kNoticeLockKey = "7305412284";

}  // namespace

std::vector<std::string> NoticeRecipients(const ClaimedNotice& claimed) {
  if (claimed.notice.email.empty()) return {};
  return {claimed.notice.email};
}

std::string PgWordArray(const std::vector<std::string>& words) {
  return absl::StrCat("{", absl::StrJoin(words, ","), "}");
}

absl::StatusOr<bool> NoticeOutbox::TryLock() {
  TG_ASSIGN_OR_RETURN(auto result,
                      conn_->Exec(absl::StrCat("SELECT pg_try_advisory_lock(", kNoticeLockKey, ")")));
  return result.Get(0, 0) == "t";
}

absl::StatusOr<int> NoticeOutbox::RequeueInterrupted() {
  TG_ASSIGN_OR_RETURN(
      auto result,
      conn_->Exec("UPDATE token_notice SET state = 'pending' WHERE state = 'sending' RETURNING id"));
  return result.rows();
}

absl::StatusOr<int> NoticeOutbox::EnqueueExpiring(const std::vector<int>& days,
                                                  const std::vector<std::string>& channels) {
  std::vector<std::string> day_words;
  for (int d : days) day_words.push_back(absl::StrCat(d));
  // Days left counts the days after today the token is still valid: a token
  // valid through tomorrow has 1 day left and is within a 1-day threshold.
  auto result = conn_->Exec(
      "WITH today AS (SELECT (now() AT TIME ZONE 'UTC')::date AS day) "
      "INSERT INTO token_notice (token_id, kind, threshold_days, channel) "
      "SELECT t.id, 'expiry', nearest.days, c.channel "
      "FROM personal_token t JOIN \"user\" u ON u.id = t.user_id CROSS JOIN today "
      "CROSS JOIN LATERAL (SELECT min(d) AS days FROM unnest($1::int[]) AS d "
      "                    WHERE t.until - today.day <= d) AS nearest "
      "CROSS JOIN unnest($2::text[]) AS c(channel) "
      "WHERE t.revoked_at IS NULL AND t.until BETWEEN today.day AND today.day + $3::int "
      "  AND nearest.days IS NOT NULL "
      "  AND (c.channel <> 'email' OR u.email IS NOT NULL OR EXISTS ("
      "    SELECT 1 FROM service_account s WHERE s.user_id = u.id AND (s.email <> '' OR EXISTS ("
      "      SELECT 1 FROM service_account_manager m JOIN \"user\" mu ON mu.id = m.user_id "
      "      WHERE m.service_account_id = s.user_id AND mu.email IS NOT NULL)))) "
      "ON CONFLICT ON CONSTRAINT token_notice_once DO NOTHING RETURNING id",
      {PgWordArray(day_words), PgWordArray(channels), absl::StrCat(days.back())});
  if (!result.ok()) return result.status();
  return result->rows();
}

absl::StatusOr<int> NoticeOutbox::EnqueueDeadUses(const std::vector<std::string>& channels) {
  TG_ASSIGN_OR_RETURN(
      auto result,
      conn_->Exec(
          "INSERT INTO token_notice (token_id, kind, channel, client_address, user_agent, notice_day) "
          "SELECT DISTINCT ON (a.token_id, a.client_address, (a.at AT TIME ZONE 'UTC')::date, c.channel) "
          "  a.token_id::uuid, 'dead_use', c.channel, a.client_address, a.user_agent, "
          "  (a.at AT TIME ZONE 'UTC')::date "
          "FROM audit_event a JOIN \"user\" u ON u.id = a.user_id CROSS JOIN unnest($1::text[]) AS c(channel) "
          "WHERE a.event IN ('token.used_after_revocation', 'token.used_after_expiry') "
          "  AND a.at > now() - interval '2 days' AND (c.channel <> 'email' OR u.email IS NOT NULL) "
          "ORDER BY a.token_id, a.client_address, (a.at AT TIME ZONE 'UTC')::date, c.channel, a.id "
          "ON CONFLICT ON CONSTRAINT token_notice_once DO NOTHING RETURNING id",
          {PgWordArray(channels)}));
  return result.rows();
}

absl::StatusOr<std::optional<ClaimedNotice>> NoticeOutbox::ClaimNext(
    const std::vector<std::string>& channels) {
  auto result = conn_->Exec(
      "UPDATE token_notice n SET state = 'sending', attempts = n.attempts + 1 "
      "FROM personal_token t JOIN \"user\" u ON u.id = t.user_id "
      "LEFT JOIN service_account s ON s.user_id = u.id "
      "WHERE n.id = (SELECT id FROM token_notice WHERE state = 'pending' AND next_attempt_at <= now() "
      "                AND channel = ANY($1::text[]) "
      "              ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
      "  AND t.id = n.token_id "
      "RETURNING n.id, n.kind, n.threshold_days, n.channel, n.attempts, t.id::text, t.name, u.name, "
      "          coalesce(nullif(s.email, ''), u.email, ''), t.until::text, t.revoked_at IS NOT NULL, u.id, "
      // A service account's managers share its notices; its webhook replaces the configured one.
      "          coalesce((SELECT string_agg(mu.email, ',' ORDER BY mu.email) FROM service_account_manager m "
      "            JOIN \"user\" mu ON mu.id = m.user_id WHERE m.service_account_id = s.user_id), ''), "
      "          coalesce(s.webhook_url, ''), n.client_address, n.user_agent, "
      "          floor(extract(epoch FROM t.revoked_at))::bigint",
      {PgWordArray(channels)});
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return std::nullopt;
  ClaimedNotice claimed;
  Notice& n = claimed.notice;
  n.id = result->GetInt(0, 0);
  const absl::string_view kind = result->Get(0, 1);
  n.kind = kind == "leak"       ? NoticeKind::kLeak
           : kind == "dead_use" ? NoticeKind::kDeadUse
                                : NoticeKind::kExpiry;
  n.threshold_days = static_cast<int>(result->GetInt(0, 2));
  n.channel = std::string(result->Get(0, 3));
  n.attempts = static_cast<int>(result->GetInt(0, 4));
  n.token_id = std::string(result->Get(0, 5));
  n.token_name = std::string(result->Get(0, 6));
  n.user_name = std::string(result->Get(0, 7));
  n.email = std::string(result->Get(0, 8));
  n.until = ParseDay(result->Get(0, 9)).value_or(absl::CivilDay());
  claimed.token_revoked = result->Get(0, 10) == "t";
  claimed.user_id = result->GetInt(0, 11);
  for (absl::string_view cc : absl::StrSplit(result->Get(0, 12), ',', absl::SkipEmpty()))
    n.cc.emplace_back(cc);
  // An account without a contact address writes to its managers only.
  if (n.email.empty() && !n.cc.empty()) {
    n.email = n.cc.front();
    n.cc.erase(n.cc.begin());
  }
  n.webhook_url = std::string(result->Get(0, 13));
  n.client_address = std::string(result->Get(0, 14));
  n.user_agent = std::string(result->Get(0, 15));
  if (!result->IsNull(0, 16)) n.revoked_at = absl::FromUnixSeconds(result->GetInt(0, 16));
  return claimed;
}

absl::Status NoticeOutbox::MarkSent(int64_t id) {
  return conn_
      ->Exec("UPDATE token_notice SET state = 'sent', sent_at = now(), last_error = NULL WHERE id = $1",
             {absl::StrCat(id)})
      .status();
}

absl::Status NoticeOutbox::MarkRetry(int64_t id, absl::Duration delay, const std::string& error) {
  return conn_
      ->Exec(
          "UPDATE token_notice SET state = 'pending', last_error = $2, "
          "next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
          {absl::StrCat(id), error, absl::StrCat(absl::ToDoubleSeconds(delay))})
      .status();
}

absl::Status NoticeOutbox::MarkFinal(int64_t id, absl::string_view state, const std::string& error) {
  return conn_
      ->Exec("UPDATE token_notice SET state = $2, last_error = $3 WHERE id = $1",
             {absl::StrCat(id), std::string(state), error})
      .status();
}

}  // namespace tokengate
