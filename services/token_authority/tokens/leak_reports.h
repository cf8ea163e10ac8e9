// Revocation by content: anyone who finds a leaked token hands it in. Each
// content's signature is verified; the well-signed, live ones are revoked
// through the normal path (the revocation log and its NOTIFY reach every
// replica and both edges) and their owners are notified as a "leak" notice.
// The answer is the same whatever the contents were. Nothing is looked up
// per content: each gets the verification any bearer token gets, then every
// report runs one transaction with one revoking statement (an empty list
// revokes nothing). Only a token that really is revoked causes more work
// (its audit record and notices), and it is dead by the time anyone could
// measure that.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/base/clock.h"
#include "common/pg/postgres.h"
#include "services/token_authority/authority_config.h"
#include "services/token_authority/tokens/personal_tokens.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

inline constexpr int kMaxLeakReportContents = 100;

class LeakReports {
 public:
  // `channels`: the notice channels that are on; `queued` runs after notices were queued.
  LeakReports(const AuthorityConfig& config, std::shared_ptr<PgPool> pool, PersonalTokens* tokens,
              const Clock* clock, std::vector<std::string> channels, std::function<void()> queued)
      : config_(config),
        pool_(std::move(pool)),
        tokens_(tokens),
        clock_(clock),
        channels_(std::move(channels)),
        queued_(std::move(queued)) {}

  // INVALID_ARGUMENT for 0 or more than 100 contents; UNAVAILABLE when the
  // database is down; OK otherwise, whatever the contents were.
  absl::Status Report(const v1::RevokeTokensByContentRequest& request);

 private:
  const AuthorityConfig& config_;
  std::shared_ptr<PgPool> pool_;
  PersonalTokens* tokens_;
  const Clock* clock_;
  const std::vector<std::string> channels_;
  std::function<void()> queued_;
};

}  // namespace tokengate
