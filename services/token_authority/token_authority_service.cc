#include "services/token_authority/token_authority_service.h"

#include "common/field_error.h"
#include "common/log.h"

namespace tokengate {
namespace {

template <typename Response>
grpc::Status Answer(absl::StatusOr<Response> result, Response* response,
                    grpc::ServerContext* context) {
  if (!result.ok()) return ToGrpcStatus(result.status(), context);
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context) {
  if (status.ok()) return grpc::Status::OK;
  if (auto field = PayloadOf(status, kFieldPayload)) context->AddTrailingMetadata(kFieldMetadata, *field);
  if (auto code = PayloadOf(status, kCodePayload)) context->AddTrailingMetadata(kCodeMetadata, *code);
  if (status.code() == absl::StatusCode::kUnavailable || status.code() == absl::StatusCode::kInternal) {
    TG_LOG(Warning) << "RPC failed: " << status.message();
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status TokenAuthorityService::IssueToken(grpc::ServerContext* context,
                                               const v1::IssueTokenRequest* request,
                                               v1::IssueTokenResponse* response) {
  if (auto denied = policy_->Check(*context, "IssueToken"); !denied.ok()) return denied;
  return Answer(tokens_->Issue(*request), response, context);
}

grpc::Status TokenAuthorityService::RefreshToken(grpc::ServerContext* context,
                                                 const v1::RefreshTokenRequest* request,
                                                 v1::RefreshTokenResponse* response) {
  if (auto denied = policy_->Check(*context, "RefreshToken"); !denied.ok()) return denied;
  return Answer(tokens_->Refresh(*request), response, context);
}

grpc::Status TokenAuthorityService::RevokeToken(grpc::ServerContext* context,
                                                const v1::RevokeTokenRequest* request,
                                                v1::RevokeTokenResponse*) {
  if (auto denied = policy_->Check(*context, "RevokeToken"); !denied.ok()) return denied;
  return ToGrpcStatus(tokens_->Revoke(*request), context);
}

grpc::Status TokenAuthorityService::GetToken(grpc::ServerContext* context,
                                             const v1::GetTokenRequest* request,
                                             v1::GetTokenResponse* response) {
  if (auto denied = policy_->Check(*context, "GetToken"); !denied.ok()) return denied;
  return Answer(tokens_->Get(*request), response, context);
}

grpc::Status TokenAuthorityService::ListTokens(grpc::ServerContext* context,
                                               const v1::ListTokensRequest* request,
                                               v1::ListTokensResponse* response) {
  if (auto denied = policy_->Check(*context, "ListTokens"); !denied.ok()) return denied;
  return Answer(tokens_->List(*request), response, context);
}

grpc::Status TokenAuthorityService::VerifyToken(grpc::ServerContext* context,
                                                const v1::VerifyTokenRequest* request,
                                                v1::VerifyTokenResponse* response) {
  if (auto denied = policy_->Check(*context, "VerifyToken"); !denied.ok()) return denied;
  return Answer(tokens_->Verify(*request), response, context);
}

grpc::Status TokenAuthorityService::WatchRevocations(grpc::ServerContext* context,
                                                     const v1::WatchRevocationsRequest*,
                                                     grpc::ServerWriter<v1::RevocationEvent>* writer) {
  if (auto denied = policy_->Check(*context, "WatchRevocations"); !denied.ok()) return denied;
  auto subscription = feed_->Subscribe();
  // The first heartbeat tells the client the stream is live.
  bool open = writer->Write(v1::RevocationEvent());
  std::vector<Revocation> batch;
  const int heartbeat_ms = static_cast<int>(absl::ToInt64Milliseconds(heartbeat_));
  int waited_ms = 0;
  constexpr int kSliceMs = 200;  // How quickly a cancelled stream is noticed.
  while (open && !context->IsCancelled()) {
    const bool live = subscription->Wait(kSliceMs, batch);
    for (const auto& revocation : batch) {
      v1::RevocationEvent event;
      event.set_token_id(revocation.token_id);
      event.set_revoked_at_unix(revocation.revoked_at_unix);
      open = open && writer->Write(event);
    }
    if (!live) break;
    waited_ms = batch.empty() ? waited_ms + kSliceMs : 0;
    if (waited_ms >= heartbeat_ms) {
      open = writer->Write(v1::RevocationEvent());
      waited_ms = 0;
    }
  }
  feed_->Unsubscribe(subscription);
  return grpc::Status::OK;
}

}  // namespace tokengate
