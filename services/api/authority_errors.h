// The one place where the authority's gRPC status becomes a REST error
// (DESIGN §6, STYLE "map once at the edge"): UNAUTHENTICATED→401,
// PERMISSION_DENIED/FAILED_PRECONDITION→403, NOT_FOUND→404,
// ALREADY_EXISTS→409, INVALID_ARGUMENT→422 (field and code from the trailing
// metadata), UNAVAILABLE/DEADLINE_EXCEEDED→503 with Retry-After, else 500.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "common/http/response.h"

namespace tokengate {

HttpResponse HttpErrorFromAuthority(const grpc::Status& status, const grpc::ClientContext& context,
                                    absl::Duration retry_after);

}  // namespace tokengate
