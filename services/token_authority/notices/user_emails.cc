#include "services/token_authority/notices/user_emails.h"

#include "common/base/log.h"
#include "services/token_authority/notices/smtp_sender.h"

namespace tokengate {
namespace {

// Far more users than one replica sees between restarts; past it the memo restarts.
constexpr size_t kMaxRemembered = 100000;

}  // namespace

void UserEmails::Remember(const v1::Actor& actor, const std::string& user_name) {
  if (actor.email().empty() || actor.name() != user_name || user_name.empty()) return;
  if (!IsPlainMailAddress(actor.email())) {
    TG_LOG(Warning) << "ignoring an e-mail address that cannot be used in SMTP for a user";
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = stored_.find(user_name); it != stored_.end() && it->second == actor.email()) return;
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) {
    TG_LOG(Warning) << "cannot store a user's e-mail: " << conn.status().message();
    return;
  }
  auto result = (*conn)->Exec("UPDATE \"user\" SET email = $2 WHERE name = $1 AND email IS DISTINCT FROM $2",
                              {user_name, actor.email()});
  if (!result.ok()) {
    TG_LOG(Warning) << "cannot store a user's e-mail: " << result.status().message();
    return;
  }
  std::lock_guard lock(mutex_);
  if (stored_.size() >= kMaxRemembered) stored_.clear();
  stored_[user_name] = actor.email();
}

}  // namespace tokengate
