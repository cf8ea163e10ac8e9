// One delivery channel of owner notices (e-mail, webhook). A sender makes
// one attempt; the scheduler decides about retries from the answer.
#pragma once

#include "absl/status/status.h"
#include "services/token_authority/notices/notice_message.h"

namespace tokengate {

class NoticeSender {
 public:
  virtual ~NoticeSender() = default;
  // OK: delivered. UNAVAILABLE: worth another attempt later (connection
  // refused, timeout, a temporary refusal). Anything else: it will never work.
  virtual absl::Status Send(const Notice& notice) = 0;
};

// curl_global_init, once per process, before any sender runs.
void InitNoticeSenders();

}  // namespace tokengate
