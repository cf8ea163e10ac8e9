// The owner's e-mail address, kept with the user row for notices. The api
// puts the identity provider's `email` claim into each management call's
// Actor; it is stored when the actor is the user themself (an admin acting
// on someone's tokens never overwrites their address) and it changed.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/pg/postgres.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

class UserEmails {
 public:
  explicit UserEmails(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}

  // Best effort: a failure is logged and the call it follows still succeeds.
  void Remember(const v1::Actor& actor, const std::string& user_name);

 private:
  std::shared_ptr<PgPool> pool_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, std::string> stored_ ABSL_GUARDED_BY(mutex_);  // User → email.
};

}  // namespace tokengate
