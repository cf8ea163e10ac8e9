// Ends rotation graces (issue 24): every interval, revokes the tokens whose
// grace_until has passed, through the normal revocation path (the trigger
// logs and announces them to every replica and edge). The end of a grace is
// in the database, so any replica's sweep ends it, also after a restart.
// It does not decide validity: Verify refuses a token past its grace_until
// even before the sweep has revoked its row.
#pragma once

#include "absl/time/time.h"
#include "common/base/periodic_task.h"
#include "services/token_authority/tokens/token_store.h"

namespace tokengate {

class GraceSweeper {
 public:
  GraceSweeper(TokenStore* store, absl::Duration interval) : store_(store), interval_(interval) {}
  ~GraceSweeper() { Stop(); }

  void Start();
  void Stop() { loop_.Stop(); }

 private:
  TokenStore* store_;
  const absl::Duration interval_;
  PeriodicTask loop_;  // Last: stopped before the members it uses go.
};

}  // namespace tokengate
