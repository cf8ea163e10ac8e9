#include "services/token_authority/grpc/audit_actor.h"

#include "absl/strings/match.h"
#include "services/token_authority/grpc/caller_policy.h"

namespace tokengate {
namespace {

// gRPC's peer is "ipv4:1.2.3.4:5678" or "ipv6:[::1]:5678": the address part.
std::string PeerAddress(const grpc::ServerContext& context) {
  std::string peer = context.peer();
  for (absl::string_view scheme : {"ipv4:", "ipv6:", "unix:"}) {
    if (absl::StartsWith(peer, scheme)) return peer.substr(scheme.size());
  }
  return peer;
}

AuditActor Base(const v1::Actor* actor, const grpc::ServerContext& context) {
  AuditActor out;
  if (actor != nullptr) {
    out.name = actor->name();
    out.client_address = actor->client_address();
    out.user_agent = actor->user_agent();
    out.request_id = actor->request_id();
  }
  if (out.client_address.empty()) out.client_address = PeerAddress(context);
  if (out.name.empty()) {
    const auto identities = CallerIdentities(context);
    out.name = identities.empty() ? "anonymous" : identities.front();
  }
  return out;
}

bool Named(const v1::Actor* actor) { return actor != nullptr && !actor->name().empty(); }

}  // namespace

AuditActor ActorOf(const v1::Actor* actor, const grpc::ServerContext& context, absl::string_view owner) {
  AuditActor out = Base(actor, context);
  if (!Named(actor)) {
    out.kind = std::string(kActorService);
  } else if (actor->admin() && actor->name() != owner) {
    out.kind = std::string(kActorAdmin);
  } else {
    out.kind = std::string(kActorUser);
  }
  return out;
}

AuditActor AdminActorOf(const v1::Actor* actor, const grpc::ServerContext& context) {
  AuditActor out = Base(actor, context);
  out.kind = std::string(kActorAdmin);
  return out;
}

}  // namespace tokengate
