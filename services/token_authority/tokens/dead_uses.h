// Uses of dead tokens (issue 24): the edges report every presentation of a
// revoked, refreshed-away or expired token (at most one per token, address
// and user agent per hour from each edge); each becomes an audit record
// unless one from the hour before says the same, and the owner's notices are
// queued from those records by the notice scheduler, which this wakes.
// Never sees token content: the edges send ids.
#pragma once

#include <functional>

#include "absl/status/statusor.h"
#include "services/token_authority/tokens/token_store.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

inline constexpr int kMaxDeadUsesPerReport = 1000;

class DeadUses {
 public:
  // `recorded` runs after new records were written (wakes the notice scheduler).
  DeadUses(TokenStore* store, std::function<void()> recorded)
      : store_(store), recorded_(std::move(recorded)) {}

  // INVALID_ARGUMENT for more than kMaxDeadUsesPerReport uses; UNAVAILABLE
  // when the database is down (the edge sends them again).
  absl::StatusOr<v1::ReportTokenUsesResponse> Report(const v1::ReportTokenUsesRequest& request);

 private:
  TokenStore* store_;
  std::function<void()> recorded_;
};

}  // namespace tokengate
