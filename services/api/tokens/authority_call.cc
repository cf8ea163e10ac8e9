#include "services/api/tokens/authority_call.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace tokengate {

std::unique_ptr<grpc::ClientContext> AuthorityCall::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  return context;
}

HttpResponse AuthorityCall::Failed(const char* method, const grpc::Status& status,
                                   const grpc::ClientContext& context, const InputOf& input_json_of) const {
  if (rpc_errors != nullptr) {
    rpc_errors->WithLabels({method, absl::StrCat(static_cast<int>(status.error_code()))})->Increment();
  }
  return HttpErrorFromAuthority(status, context, retry_after, input_json_of);
}

}  // namespace tokengate
