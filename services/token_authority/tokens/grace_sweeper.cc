#include "services/token_authority/tokens/grace_sweeper.h"

#include "common/base/log.h"

namespace tokengate {

void GraceSweeper::Start() {
  loop_.Start(interval_, [this] {
    auto ended = store_->EndGraces();
    if (!ended.ok()) {
      TG_LOG(Warning) << "rotation grace sweep failed, will retry: " << ended.status().message();
    } else if (*ended > 0) {
      TG_LOG(Info) << "rotation grace ended for " << *ended << " personal tokens";
    }
  });
}

}  // namespace tokengate
