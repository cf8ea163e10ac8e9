#include "services/token_authority/grpc/token_authority_service.h"

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/base/field_error.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/token/token_limits.h"

namespace tokengate {
namespace {

constexpr int kReplayBatch = 500;
constexpr int kSliceMs = 200;  // How quickly a cancelled stream is noticed.
constexpr int kUnlistenedPollMs = 1000;

template <typename Response>
grpc::Status Answer(absl::StatusOr<Response> result, Response* response, grpc::ServerContext* context) {
  if (!result.ok()) return ToGrpcStatus(result.status(), context);
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context) {
  if (status.ok()) return grpc::Status::OK;
  if (auto field = PayloadOf(status, kFieldPayload)) context->AddTrailingMetadata(kFieldMetadata, *field);
  if (auto code = PayloadOf(status, kCodePayload)) context->AddTrailingMetadata(kCodeMetadata, *code);
  if (auto ctx = PayloadOf(status, kContextPayload)) context->AddTrailingMetadata(kContextMetadata, *ctx);
  if (auto entity = PayloadOf(status, kEntityPayload)) context->AddTrailingMetadata(kEntityMetadata, *entity);
  if (auto value = PayloadOf(status, kValuePayload)) context->AddTrailingMetadata(kValueMetadata, *value);
  if (auto wait = PayloadOf(status, kRetryAfterPayload))
    context->AddTrailingMetadata(kRetryAfterMetadata, *wait);
  if (status.code() == absl::StatusCode::kUnavailable || status.code() == absl::StatusCode::kInternal) {
    TG_LOG(Warning) << "RPC failed: " << status.message();
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status TokenAuthorityService::Allow(grpc::ServerContext* context, absl::string_view method,
                                          const AuditActor& actor, const std::string& user_name,
                                          const std::string& token_id) {
  grpc::Status verdict = policy_->Check(*context, method);
  if (!verdict.ok()) {
    tokens_->RecordFailure(method, actor, user_name, token_id,
                           absl::PermissionDeniedError(verdict.error_message()));
  }
  return verdict;
}

grpc::Status TokenAuthorityService::AllowAdmin(grpc::ServerContext* context, absl::string_view method,
                                               const v1::Actor* actor, const AuditActor& audit_actor,
                                               const std::string& user_name) {
  if (auto denied = Allow(context, method, audit_actor, user_name); !denied.ok()) return denied;
  if (actor == nullptr || actor->name().empty() || actor->admin()) return grpc::Status::OK;
  absl::Status refused = absl::PermissionDeniedError(
      absl::StrCat("User '", actor->name(), "' does not have the administrator role"));
  AuditActor person = audit_actor;
  person.kind = std::string(kActorUser);
  tokens_->RecordFailure(method, person, user_name, "", refused);
  return ToGrpcStatus(refused, context);
}

template <typename Request>
absl::StatusOr<Request> TokenAuthorityService::OnOwner(const Request& request, absl::string_view method,
                                                       const AuditActor& actor, TokenAccess access,
                                                       const std::string& token_id) {
  absl::StatusOr<std::string> owner = request.user_name();
  if (request.service_account().empty()) {
    if (auto refused = CheckPersonName(request.user_name()); !refused.ok()) owner = refused;
  } else {
    owner = service_accounts_->OwnerFor(request.service_account(), request.user_name(),
                                        request.has_actor() ? &request.actor() : nullptr, access);
  }
  if (!owner.ok()) {
    tokens_->RecordFailure(method, actor, request.user_name(), token_id, owner.status());
    return owner.status();
  }
  Request on_owner = request;
  on_owner.set_user_name(*owner);
  return on_owner;
}

grpc::Status TokenAuthorityService::IssueToken(grpc::ServerContext* context,
                                               const v1::IssueTokenRequest* request,
                                               v1::IssueTokenResponse* response) {
  const AuditActor actor =
      ActorOf(request->has_actor() ? &request->actor() : nullptr, *context, request->user_name());
  if (auto denied = Allow(context, "IssueToken", actor, request->user_name()); !denied.ok()) return denied;
  auto on_owner = OnOwner(*request, "IssueToken", actor, TokenAccess::kWrite);
  if (!on_owner.ok()) return ToGrpcStatus(on_owner.status(), context);
  // A service account's token is an emitter's unless its creator asks for more.
  if (!request->service_account().empty() && on_owner->scopes().empty())
    on_owner->add_scopes(std::string(kWriteScope));
  auto result = tokens_->Issue(*on_owner, actor);
  if (result.ok()) RememberEmail(request->actor(), request->user_name());
  return Answer(std::move(result), response, context);
}

grpc::Status TokenAuthorityService::RefreshToken(grpc::ServerContext* context,
                                                 const v1::RefreshTokenRequest* request,
                                                 v1::RefreshTokenResponse* response) {
  const AuditActor actor =
      ActorOf(request->has_actor() ? &request->actor() : nullptr, *context, request->user_name());
  if (auto denied = Allow(context, "RefreshToken", actor, request->user_name(), request->token_id());
      !denied.ok()) {
    return denied;
  }
  auto on_owner = OnOwner(*request, "RefreshToken", actor, TokenAccess::kWrite, request->token_id());
  if (!on_owner.ok()) return ToGrpcStatus(on_owner.status(), context);
  auto result = tokens_->Refresh(*on_owner, actor);
  if (result.ok()) RememberEmail(request->actor(), request->user_name());
  return Answer(std::move(result), response, context);
}

grpc::Status TokenAuthorityService::RevokeToken(grpc::ServerContext* context,
                                                const v1::RevokeTokenRequest* request,
                                                v1::RevokeTokenResponse*) {
  const AuditActor actor =
      ActorOf(request->has_actor() ? &request->actor() : nullptr, *context, request->user_name());
  if (auto denied = Allow(context, "RevokeToken", actor, request->user_name(), request->token_id());
      !denied.ok()) {
    return denied;
  }
  auto on_owner = OnOwner(*request, "RevokeToken", actor, TokenAccess::kRevoke, request->token_id());
  if (!on_owner.ok()) return ToGrpcStatus(on_owner.status(), context);
  absl::Status status = tokens_->Revoke(*on_owner, actor);
  if (status.ok()) RememberEmail(request->actor(), request->user_name());
  return ToGrpcStatus(status, context);
}

grpc::Status TokenAuthorityService::RevokeTokensByContent(grpc::ServerContext* context,
                                                          const v1::RevokeTokensByContentRequest* request,
                                                          v1::RevokeTokensByContentResponse*) {
  if (auto denied = policy_->Check(*context, "RevokeTokensByContent"); !denied.ok()) return denied;
  if (leak_reports_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "leak reports are off");
  return ToGrpcStatus(leak_reports_->Report(*request), context);
}

grpc::Status TokenAuthorityService::ReportTokenUses(grpc::ServerContext* context,
                                                    const v1::ReportTokenUsesRequest* request,
                                                    v1::ReportTokenUsesResponse* response) {
  // The edges that verify tokens are the ones that see them used: whoever may
  // ask VerifyToken may report uses, so no caller policy needs a new entry.
  if (auto denied = policy_->Check(*context, "VerifyToken"); !denied.ok()) return denied;
  if (dead_uses_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "use reports are off");
  return Answer(dead_uses_->Report(*request), response, context);
}

void TokenAuthorityService::RememberEmail(const v1::Actor& actor, const std::string& user_name) {
  if (user_emails_ != nullptr) user_emails_->Remember(actor, user_name);
}

grpc::Status TokenAuthorityService::GetToken(grpc::ServerContext* context, const v1::GetTokenRequest* request,
                                             v1::GetTokenResponse* response) {
  if (auto denied = policy_->Check(*context, "GetToken"); !denied.ok()) return denied;
  const AuditActor actor =
      ActorOf(request->has_actor() ? &request->actor() : nullptr, *context, request->user_name());
  auto on_owner = OnOwner(*request, "GetToken", actor, TokenAccess::kRead, request->token_id());
  if (!on_owner.ok()) return ToGrpcStatus(on_owner.status(), context);
  return Answer(tokens_->Get(*on_owner), response, context);
}

grpc::Status TokenAuthorityService::ListTokens(grpc::ServerContext* context,
                                               const v1::ListTokensRequest* request,
                                               v1::ListTokensResponse* response) {
  const AuditActor actor =
      ActorOf(request->has_actor() ? &request->actor() : nullptr, *context, request->user_name());
  if (auto denied = Allow(context, "ListTokens", actor, request->user_name()); !denied.ok()) return denied;
  auto on_owner = OnOwner(*request, "ListTokens", actor, TokenAccess::kRead);
  if (!on_owner.ok()) return ToGrpcStatus(on_owner.status(), context);
  auto result = tokens_->List(*on_owner, actor);
  if (result.ok()) RememberEmail(request->actor(), request->user_name());
  return Answer(std::move(result), response, context);
}

grpc::Status TokenAuthorityService::VerifyToken(grpc::ServerContext* context,
                                                const v1::VerifyTokenRequest* request,
                                                v1::VerifyTokenResponse* response) {
  if (auto denied = policy_->Check(*context, "VerifyToken"); !denied.ok()) return denied;
  return Answer(tokens_->Verify(*request), response, context);
}

grpc::Status TokenAuthorityService::ListTokenEvents(grpc::ServerContext* context,
                                                    const v1::ListTokenEventsRequest* request,
                                                    v1::ListTokenEventsResponse* response) {
  if (auto denied = policy_->Check(*context, "ListTokenEvents"); !denied.ok()) return denied;
  const AuditActor actor =
      ActorOf(request->has_actor() ? &request->actor() : nullptr, *context, request->user_name());
  auto on_owner = OnOwner(*request, "ListTokenEvents", actor, TokenAccess::kRead, request->token_id());
  if (!on_owner.ok()) return ToGrpcStatus(on_owner.status(), context);
  return Answer(tokens_->ListEvents(*on_owner), response, context);
}

grpc::Status TokenAuthorityService::AdminListTokens(grpc::ServerContext* context,
                                                    const v1::AdminListTokensRequest* request,
                                                    v1::AdminListTokensResponse* response) {
  const v1::Actor* named = request->has_actor() ? &request->actor() : nullptr;
  const AuditActor actor = AdminActorOf(named, *context);
  if (auto denied = AllowAdmin(context, "AdminListTokens", named, actor, request->user_name());
      !denied.ok()) {
    return denied;
  }
  return Answer(tokens_->AdminList(*request, actor), response, context);
}

grpc::Status TokenAuthorityService::RevokeUserTokens(grpc::ServerContext* context,
                                                     const v1::RevokeUserTokensRequest* request,
                                                     v1::RevokeUserTokensResponse* response) {
  const v1::Actor* named = request->has_actor() ? &request->actor() : nullptr;
  const AuditActor actor = AdminActorOf(named, *context);
  if (auto denied = AllowAdmin(context, "RevokeUserTokens", named, actor, request->user_name());
      !denied.ok()) {
    return denied;
  }
  auto result = tokens_->RevokeUserTokens(*request, actor);
  if (!result.ok()) return ToGrpcStatus(result.status(), context);
  // A person leaves the manager lists too; a service account's own tokens
  // are not theirs and stay. After the revocations: a failure here leaves
  // the person a manager of nothing they could still use a token of.
  auto removed = service_accounts_->RemoveEverywhere(request->user_name(), actor);
  if (!removed.ok()) return ToGrpcStatus(removed.status(), context);
  for (const std::string& name : *removed) result->add_removed_from_service_accounts(name);
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status TokenAuthorityService::CreateServiceAccount(grpc::ServerContext* context,
                                                         const v1::CreateServiceAccountRequest* request,
                                                         v1::CreateServiceAccountResponse* response) {
  const v1::Actor* named = request->has_actor() ? &request->actor() : nullptr;
  const AuditActor actor = AdminActorOf(named, *context);
  const std::string owner = absl::StrCat(kServiceAccountPrefix, request->name());
  if (auto denied = AllowAdmin(context, "CreateServiceAccount", named, actor, owner); !denied.ok())
    return denied;
  return Answer(service_accounts_->Create(*request, actor), response, context);
}

grpc::Status TokenAuthorityService::ListServiceAccounts(grpc::ServerContext* context,
                                                        const v1::ListServiceAccountsRequest* request,
                                                        v1::ListServiceAccountsResponse* response) {
  const v1::Actor* named = request->has_actor() ? &request->actor() : nullptr;
  const AuditActor actor = AdminActorOf(named, *context);
  if (auto denied = AllowAdmin(context, "ListServiceAccounts", named, actor, ""); !denied.ok()) return denied;
  return Answer(service_accounts_->List(*request), response, context);
}

grpc::Status TokenAuthorityService::DisableServiceAccount(grpc::ServerContext* context,
                                                          const v1::DisableServiceAccountRequest* request,
                                                          v1::DisableServiceAccountResponse* response) {
  const v1::Actor* named = request->has_actor() ? &request->actor() : nullptr;
  const AuditActor actor = AdminActorOf(named, *context);
  const std::string owner = absl::StrCat(kServiceAccountPrefix, request->name());
  if (auto denied = AllowAdmin(context, "DisableServiceAccount", named, actor, owner); !denied.ok())
    return denied;
  return Answer(service_accounts_->Disable(*request, actor), response, context);
}

grpc::Status TokenAuthorityService::AddServiceAccountManager(grpc::ServerContext* context,
                                                             const v1::ServiceAccountManagerRequest* request,
                                                             v1::ServiceAccountManagerResponse* response) {
  const v1::Actor* named = request->has_actor() ? &request->actor() : nullptr;
  const AuditActor actor = AdminActorOf(named, *context);
  const std::string owner = absl::StrCat(kServiceAccountPrefix, request->name());
  if (auto denied = AllowAdmin(context, "AddServiceAccountManager", named, actor, owner); !denied.ok()) {
    return denied;
  }
  return Answer(service_accounts_->AddManager(*request, actor), response, context);
}

grpc::Status TokenAuthorityService::RemoveServiceAccountManager(
    grpc::ServerContext* context, const v1::ServiceAccountManagerRequest* request,
    v1::ServiceAccountManagerResponse* response) {
  const v1::Actor* named = request->has_actor() ? &request->actor() : nullptr;
  const AuditActor actor = AdminActorOf(named, *context);
  const std::string owner = absl::StrCat(kServiceAccountPrefix, request->name());
  if (auto denied = AllowAdmin(context, "RemoveServiceAccountManager", named, actor, owner); !denied.ok()) {
    return denied;
  }
  return Answer(service_accounts_->RemoveManager(*request, actor), response, context);
}

grpc::Status TokenAuthorityService::ListManagedServiceAccounts(
    grpc::ServerContext* context, const v1::ListManagedServiceAccountsRequest* request,
    v1::ListManagedServiceAccountsResponse* response) {
  if (auto denied = policy_->Check(*context, "ListManagedServiceAccounts"); !denied.ok()) return denied;
  return Answer(service_accounts_->ListManaged(*request), response, context);
}

grpc::Status TokenAuthorityService::WatchRevocations(grpc::ServerContext* context,
                                                     const v1::WatchRevocationsRequest* request,
                                                     grpc::ServerWriter<v1::RevocationEvent>* writer) {
  if (auto denied = policy_->Check(*context, "WatchRevocations"); !denied.ok()) return denied;
  // Subscribed before the first read, so nothing committed between them is missed.
  auto subscription = feed_->Subscribe();
  absl::Cleanup unsubscribe = [&] { feed_->Unsubscribe(subscription); };

  const bool resuming = !request->log_id().empty() || request->after_position() > 0;
  auto opening = log_->ReadAfter(request->after_position(), resuming ? kReplayBatch : 0);
  if (!opening.ok()) return ToGrpcStatus(opening.status(), context);
  const std::string log_id = opening->log_id;
  int64_t cursor = opening->head;
  v1::RevocationEvent first;
  if (resuming && CanResumeFrom(request->log_id(), request->after_position(), *opening)) {
    cursor = request->after_position();
  } else if (resuming) {
    TG_LOG(Info) << "WatchRevocations cannot replay from position " << request->after_position() << " (log "
                 << opening->log_id << " holds " << opening->pruned_through << ".." << opening->head
                 << "): the client starts afresh";
    first.set_reset(true);
  }

  bool open = true;
  // Sends every logged revocation after `cursor`; an unreadable log ends the stream.
  const auto catch_up = [&](RevocationLogSlice slice) -> absl::Status {
    while (open) {
      for (const LoggedRevocation& revocation : slice.items) {
        v1::RevocationEvent event;
        event.set_token_id(revocation.token_id);
        event.set_revoked_at_unix(revocation.revoked_at_unix);
        event.set_expires_at_unix(revocation.expires_at_unix);
        event.set_position(revocation.position);
        event.set_log_id(log_id);
        open = writer->Write(event);
        if (!open) break;
        cursor = revocation.position;
      }
      if (static_cast<int>(slice.items.size()) < kReplayBatch) return absl::OkStatus();
      TG_ASSIGN_OR_RETURN(slice, log_->ReadAfter(cursor, kReplayBatch));
    }
    return absl::OkStatus();
  };
  const auto heartbeat = [&](v1::RevocationEvent event) {
    event.set_position(cursor);
    event.set_log_id(log_id);
    open = open && writer->Write(event);
  };

  if (first.reset()) {
    heartbeat(first);
  } else if (auto status = catch_up(*std::move(opening)); !status.ok()) {
    return ToGrpcStatus(status, context);
  }
  // The first heartbeat (after any replay) tells the client the stream is live.
  heartbeat(v1::RevocationEvent());

  std::vector<Revocation> batch;
  const int heartbeat_ms = static_cast<int>(absl::ToInt64Milliseconds(heartbeat_));
  int quiet_ms = 0;
  int unread_ms = 0;
  while (open && !context->IsCancelled()) {
    const bool live = subscription->Wait(kSliceMs, batch);
    if (!live) break;
    unread_ms += kSliceMs;
    // A notification is only a doorbell: the log says what to send. While the
    // feed is not listening, notifications can be lost, so the log is polled.
    if (!batch.empty() || (!feed_->Listening() && unread_ms >= kUnlistenedPollMs)) {
      unread_ms = 0;
      const int64_t before = cursor;
      auto slice = log_->ReadAfter(cursor, kReplayBatch);
      if (!slice.ok()) return ToGrpcStatus(slice.status(), context);
      if (auto status = catch_up(*std::move(slice)); !status.ok()) return ToGrpcStatus(status, context);
      if (cursor != before) quiet_ms = 0;
    }
    quiet_ms += kSliceMs;
    if (quiet_ms >= heartbeat_ms) {
      heartbeat(v1::RevocationEvent());
      quiet_ms = 0;
    }
  }
  return grpc::Status::OK;
}

}  // namespace tokengate
