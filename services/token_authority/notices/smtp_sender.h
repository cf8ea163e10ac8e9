// Notice e-mails over SMTP with libcurl: smtp:// upgraded with STARTTLS
// (required unless configured off) or smtps://, optional AUTH. SMTP 5xx
// replies are final; connection trouble and 4xx replies are worth a retry.
#pragma once

#include <string>

#include "services/token_authority/notices/notice_config.h"
#include "services/token_authority/notices/notice_sender.h"

namespace tokengate {

class SmtpSender final : public NoticeSender {
 public:
  explicit SmtpSender(const NoticeConfig& config) : config_(config) {}
  absl::Status Send(const Notice& notice) override;

 private:
  const NoticeConfig config_;
};

// Whether `address` can go into an SMTP envelope as it is: one @, no spaces,
// angle brackets or control characters (an IdP claim is not trusted blindly).
bool IsPlainMailAddress(const std::string& address);

}  // namespace tokengate
