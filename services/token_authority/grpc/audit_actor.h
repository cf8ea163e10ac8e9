// Who a gRPC call acts for, for the audit trail: the request's Actor when the
// api edge filled it in, else the calling service itself (its mTLS identity,
// "anonymous" on plaintext). Knows gRPC's context, nothing of storage.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/strings/string_view.h"
#include "services/token_authority/audit/audit_record.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

// A call on `owner`'s tokens: kind "user" when the actor is the owner,
// "admin" when an admin acts on someone else's, "service" without an actor.
AuditActor ActorOf(const v1::Actor* actor, const grpc::ServerContext& context, absl::string_view owner);

// An administration call (offboarding, cross-user listing): always kind
// "admin", named by the actor or else by the caller's identity.
AuditActor AdminActorOf(const v1::Actor* actor, const grpc::ServerContext& context);

}  // namespace tokengate
