#include "services/token_authority/notices/notice_config.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/config/config.h"

ABSL_FLAG(std::string, expiry_notice_days, "7,1", "days before expiry at which owners are warned");
ABSL_FLAG(int, expiry_scan_seconds, 300, "how often the notice scheduler scans and delivers");
ABSL_FLAG(int, notice_max_attempts, 8, "delivery attempts of one notice before it is given up");
ABSL_FLAG(int, notice_retry_seconds, 60, "first back-off after a failed delivery (doubles)");
ABSL_FLAG(int, notice_timeout_seconds, 10, "timeout of one SMTP or webhook delivery");
ABSL_FLAG(std::string, public_url, "", "base URL of the api, for the tokens-page link in notices");
ABSL_FLAG(std::string, smtp_url, "", "smtp://host:587 or smtps://host:465; empty: no e-mail");
ABSL_FLAG(std::string, smtp_from, "", "sender address of notice e-mails");
ABSL_FLAG(std::string, smtp_username, "", "SMTP AUTH user (or its _FILE form)");
ABSL_FLAG(std::string, smtp_password, "", "SMTP AUTH password (or its _FILE form)");
ABSL_FLAG(std::string, smtp_starttls, "required", "smtp://: required (STARTTLS or fail) or none");
ABSL_FLAG(std::string, smtp_ca_file, "", "CA bundle for the SMTP server's certificate");
ABSL_FLAG(std::string, webhook_url, "", "http(s) URL that receives notices as JSON; empty: none");
ABSL_FLAG(std::string, webhook_secret, "", "HMAC-SHA256 key of the webhook signature (or _FILE)");

namespace tokengate {

const FlagList& NoticeFlags() {
  static const FlagList kFlags = {
      {FLAGS_expiry_notice_days},
      {FLAGS_expiry_scan_seconds, 1, 86400},
      {FLAGS_notice_max_attempts, 1, 100},
      {FLAGS_notice_retry_seconds, 1, 86400},
      {FLAGS_notice_timeout_seconds, 1, 600},
      {FLAGS_public_url},
      {FLAGS_smtp_url},
      {FLAGS_smtp_from},
      {FLAGS_smtp_username},
      {FLAGS_smtp_password},
      {FLAGS_smtp_starttls},
      {FLAGS_smtp_ca_file},
      {FLAGS_webhook_url},
      {FLAGS_webhook_secret},
  };
  return kFlags;
}

absl::StatusOr<std::vector<int>> ParseExpiryDays(const std::string& text) {
  std::vector<int> days;
  if (absl::StripAsciiWhitespace(text).empty()) return days;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &value) || value < 1 || value > 366) {
      return absl::InvalidArgumentError(absl::StrCat("'", part, "' is not a number of days within 1..366"));
    }
    if (std::find(days.begin(), days.end(), value) != days.end()) {
      return absl::InvalidArgumentError(absl::StrCat(value, " is listed twice"));
    }
    days.push_back(value);
  }
  std::sort(days.begin(), days.end());
  return days;
}

absl::StatusOr<NoticeConfig> NoticeConfigFromFlags() {
  NoticeConfig config;
  auto days = ParseExpiryDays(absl::GetFlag(FLAGS_expiry_notice_days));
  if (!days.ok()) return BadFlag(FLAGS_expiry_notice_days, days.status().message());
  config.expiry_days = *days;
  if (absl::Status ranges = CheckRanges(NoticeFlags()); !ranges.ok()) return ranges;
  config.max_attempts = absl::GetFlag(FLAGS_notice_max_attempts);
  config.scan_interval = absl::Seconds(absl::GetFlag(FLAGS_expiry_scan_seconds));
  config.retry_delay = absl::Seconds(absl::GetFlag(FLAGS_notice_retry_seconds));
  config.send_timeout = absl::Seconds(absl::GetFlag(FLAGS_notice_timeout_seconds));
  config.public_url = std::string(absl::StripSuffix(absl::GetFlag(FLAGS_public_url), "/"));

  config.smtp_url = absl::GetFlag(FLAGS_smtp_url);
  config.smtp_from = absl::GetFlag(FLAGS_smtp_from);
  config.smtp_username = absl::GetFlag(FLAGS_smtp_username);
  config.smtp_password = absl::GetFlag(FLAGS_smtp_password);
  config.smtp_ca_file = absl::GetFlag(FLAGS_smtp_ca_file);
  const std::string starttls = absl::GetFlag(FLAGS_smtp_starttls);
  if (starttls != "required" && starttls != "none")
    return BadFlag(FLAGS_smtp_starttls, "must be required or none");
  config.smtp_starttls_required = starttls == "required";
  if (config.email_enabled()) {
    if (!absl::StartsWith(config.smtp_url, "smtp://") && !absl::StartsWith(config.smtp_url, "smtps://")) {
      return BadFlag(FLAGS_smtp_url, "must start with smtp:// or smtps://");
    }
    if (config.smtp_from.empty()) return BadFlag(FLAGS_smtp_from, "must be set with TOKENGATE_SMTP_URL");
  }
  if (config.smtp_password.empty() != config.smtp_username.empty()) {
    return BadFlag(FLAGS_smtp_password, "SMTP username and password go together");
  }

  config.webhook_url = absl::GetFlag(FLAGS_webhook_url);
  config.webhook_secret = absl::GetFlag(FLAGS_webhook_secret);
  if (config.webhook_enabled()) {
    if (!absl::StartsWith(config.webhook_url, "http://") &&
        !absl::StartsWith(config.webhook_url, "https://")) {
      return BadFlag(FLAGS_webhook_url, "must start with http:// or https://");
    }
    if (config.webhook_secret.size() < 16) {
      return BadFlag(FLAGS_webhook_secret, "must be set with TOKENGATE_WEBHOOK_URL (at least 16 bytes)");
    }
  }
  if (config.enabled() && config.public_url.empty()) {
    return BadFlag(FLAGS_public_url, "must be set when notices are on (the link to the tokens page)");
  }
  return config;
}

}  // namespace tokengate
