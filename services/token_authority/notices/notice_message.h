// What an owner is told, and how it is written for each channel: an e-mail
// (RFC 5322 text, headers safe against injection from token names) and a
// webhook JSON body. Pure: no I/O. Never carries token content: a notice
// knows the token's id, name, owner and expiry only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace tokengate {

// kDeadUse (issue 24): a revoked or expired token is still being sent.
enum class NoticeKind { kExpiry, kLeak, kDeadUse };

struct Notice {
  int64_t id = 0;  // The outbox row: stable across retries, the receivers' dedupe key.
  NoticeKind kind = NoticeKind::kExpiry;
  int threshold_days = 0;  // Expiry notices: the threshold crossed.
  std::string channel;     // "email" or "webhook".
  int attempts = 0;        // Including the one being made.
  std::string token_id;
  std::string token_name;
  std::string user_name;
  std::string email;  // The owner's address; empty when unknown.
  // A service account's token: its managers' addresses (the account's own
  // contact is `email`), and its own webhook, which replaces the configured one.
  std::vector<std::string> cc;
  std::string webhook_url;
  absl::CivilDay until;  // Last valid day (UTC); the token stops at the next midnight.
  // kDeadUse: where the dead token is still sent from, and when it was
  // revoked (unset: it expired).
  std::string client_address;
  std::string user_agent;
  std::optional<absl::Time> revoked_at;
};

// "token.expiry_notice", "token.leak_revoked", or for a dead token's use
// "token.used_after_revocation" / "token.used_after_expiry".
const char* NoticeEvent(const Notice& notice);
// One line, e.g. `Your personal token "etl" expires after 2026-12-05`.
std::string NoticeSubject(const Notice& notice);
// A complete message: headers, a blank line, the text body; CRLF line ends.
std::string NoticeMail(const Notice& notice, const std::string& from, const std::string& tokens_page,
                       absl::Time now);
// {"id", "event", "threshold_days", "token": {id, name, until, expires_at}, "user": {name},
//  "link", "message"}
std::string NoticeJson(const Notice& notice, const std::string& tokens_page);

}  // namespace tokengate
