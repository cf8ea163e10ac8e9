// Notices as a signed JSON POST. The receiver checks
//   X-Tokengate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// and may drop repeats by X-Tokengate-Notice-Id. 2xx is delivered; 5xx, 408,
// 429, timeouts and connection errors are worth a retry; other answers are final.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "services/token_authority/notices/notice_config.h"
#include "services/token_authority/notices/notice_sender.h"

namespace tokengate {

class WebhookSender final : public NoticeSender {
 public:
  explicit WebhookSender(const NoticeConfig& config) : config_(config) {}
  absl::Status Send(const Notice& notice) override;

 private:
  const NoticeConfig config_;
};

// "t=<unix>,v1=<hex>" for `body` signed at `unix_seconds`.
std::string WebhookSignature(absl::string_view secret, int64_t unix_seconds, absl::string_view body);

}  // namespace tokengate
