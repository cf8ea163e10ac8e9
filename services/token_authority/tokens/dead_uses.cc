#include "services/token_authority/tokens/dead_uses.h"

#include "absl/strings/str_cat.h"
#include "common/base/field_error.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace tokengate {

absl::StatusOr<v1::ReportTokenUsesResponse> DeadUses::Report(const v1::ReportTokenUsesRequest& request) {
  if (request.dead_uses_size() > kMaxDeadUsesPerReport) {
    return InvalidField("dead_uses", "too_long",
                        absl::StrCat("Give at most ", kMaxDeadUsesPerReport, " uses per report"));
  }
  std::vector<DeadUse> uses;
  uses.reserve(request.dead_uses_size());
  for (const v1::DeadTokenUse& use : request.dead_uses()) {
    uses.push_back(DeadUse{.token_id = use.token_id(),
                           .at = absl::FromUnixMillis(use.at_unix_ms()),
                           .client_address = use.client_address(),
                           .user_agent = use.user_agent()});
  }
  TG_ASSIGN_OR_RETURN(auto recorded, store_->RecordDeadUses(uses, request.edge()));
  for (const RecordedDeadUse& use : recorded) {
    TG_LOG(Warning) << "personal token id=" << use.token_id << " is dead and still sent from "
                    << use.client_address << " (" << request.edge() << ")";
  }
  if (!recorded.empty() && recorded_) recorded_();
  v1::ReportTokenUsesResponse response;
  response.set_recorded(static_cast<int32_t>(recorded.size()));
  return response;
}

}  // namespace tokengate
