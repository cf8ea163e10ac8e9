// How the api's routes call the authority: every call has a deadline, and a
// failed one is counted by method and gRPC code, then mapped once to its REST
// error (authority_errors.h).
#pragma once

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "common/base/metrics.h"
#include "common/http/response.h"
#include "services/api/tokens/authority_errors.h"

namespace tokengate {

struct AuthorityCall {
  absl::Duration deadline;
  absl::Duration retry_after;
  CounterFamily* rpc_errors = nullptr;  // {method, code}; null: not counted.

  std::unique_ptr<grpc::ClientContext> Context() const;
  HttpResponse Failed(const char* method, const grpc::Status& status, const grpc::ClientContext& context,
                      const InputOf& input_json_of = nullptr) const;
};

}  // namespace tokengate
