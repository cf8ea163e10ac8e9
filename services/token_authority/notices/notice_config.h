// Settings of the owner notices (expiry warnings, leak reports): which
// channels are on, when notices are due, how often delivery is retried.
// Everything is off until an SMTP or a webhook URL is set.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"

namespace tokengate {

struct NoticeConfig {
  // Days before expiry at which a notice is due, ascending; empty: no
  // expiry notices (leak notices still go out).
  std::vector<int> expiry_days = {1, 7};
  absl::Duration scan_interval = absl::Seconds(300);
  int max_attempts = 8;
  // Back-off after the first failed attempt; it doubles, up to kMaxRetryDelay.
  absl::Duration retry_delay = absl::Seconds(60);
  absl::Duration send_timeout = absl::Seconds(10);
  // Base of the link to the tokens page, e.g. https://tokengate.example.org.
  std::string public_url;

  std::string smtp_url;  // smtp://host:587 (STARTTLS) or smtps://host:465; empty: no e-mail.
  std::string smtp_from;
  std::string smtp_username;
  std::string smtp_password;
  // none | required: whether an smtp:// connection must upgrade with STARTTLS.
  bool smtp_starttls_required = true;
  std::string smtp_ca_file;  // Empty: the system's trust store.

  std::string webhook_url;  // http(s)://…; empty: no webhook.
  std::string webhook_secret;

  bool email_enabled() const { return !smtp_url.empty(); }
  bool webhook_enabled() const { return !webhook_url.empty(); }
  bool enabled() const { return email_enabled() || webhook_enabled(); }
};

inline constexpr absl::Duration kMaxRetryDelay = absl::Hours(6);

const FlagList& NoticeFlags();
// From the parsed flags; an error names the bad setting.
absl::StatusOr<NoticeConfig> NoticeConfigFromFlags();
// "7,1" → {1, 7}; each within 1..366, no repeats; "" → {}.
absl::StatusOr<std::vector<int>> ParseExpiryDays(const std::string& text);

}  // namespace tokengate
