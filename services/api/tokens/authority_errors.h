// The one place where the authority's gRPC status becomes a REST error
// (docs/design.md §6; errors are mapped once, at the edge): UNAUTHENTICATED→401,
// PERMISSION_DENIED/FAILED_PRECONDITION→403, NOT_FOUND→404,
// ALREADY_EXISTS→409 (404/409 details {entity_type, field, value} from the
// trailing metadata), INVALID_ARGUMENT→422 (field, code and context from the
// trailing metadata; the input as the client sent it, from `input_json_of`),
// RESOURCE_EXHAUSTED→429 with Retry-After for a rate limit, 409 for a cap,
// UNAVAILABLE/DEADLINE_EXCEEDED→503 with Retry-After, else 500.
#pragma once

#include <functional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "common/http/response.h"

namespace tokengate {

// The JSON the client sent for a field the authority names, or "" if unknown.
using InputOf = std::function<std::string(const std::string& field)>;

HttpResponse HttpErrorFromAuthority(const grpc::Status& status, const grpc::ClientContext& context,
                                    absl::Duration retry_after, const InputOf& input_json_of = nullptr);

}  // namespace tokengate
