// The gRPC face of PersonalTokens: proto in, proto out, and the one place
// where absl::Status becomes a gRPC status (same code numbers; a field error's
// field and code travel as trailing metadata).
#pragma once

#include <atomic>

#include "absl/time/time.h"
#include "services/token_authority/grpc/audit_actor.h"
#include "services/token_authority/grpc/caller_policy.h"
#include "services/token_authority/notices/user_emails.h"
#include "services/token_authority/revocation/revocation_feed.h"
#include "services/token_authority/revocation/revocation_log.h"
#include "services/token_authority/service_accounts/service_accounts.h"
#include "services/token_authority/tokens/dead_uses.h"
#include "services/token_authority/tokens/leak_reports.h"
#include "services/token_authority/tokens/personal_tokens.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate {

class TokenAuthorityService final : public v1::TokenAuthority::Service {
 public:
  // The feed wakes watch streams; the log is what they send. `user_emails`
  // keeps the owners' e-mails from management calls; `leak_reports` is
  // revocation by content and `dead_uses` the edges' reports of dead tokens
  // (each UNIMPLEMENTED while null). `service_accounts` decides who may act
  // on a service account's tokens.
  TokenAuthorityService(PersonalTokens* tokens, RevocationFeed* feed, RevocationLog* log,
                        const CallerPolicy* policy, absl::Duration heartbeat, UserEmails* user_emails,
                        LeakReports* leak_reports, DeadUses* dead_uses, ServiceAccounts* service_accounts)
      : tokens_(tokens),
        feed_(feed),
        log_(log),
        policy_(policy),
        heartbeat_(heartbeat),
        user_emails_(user_emails),
        leak_reports_(leak_reports),
        dead_uses_(dead_uses),
        service_accounts_(service_accounts) {}

  grpc::Status IssueToken(grpc::ServerContext* context, const v1::IssueTokenRequest* request,
                          v1::IssueTokenResponse* response) override;
  grpc::Status RefreshToken(grpc::ServerContext* context, const v1::RefreshTokenRequest* request,
                            v1::RefreshTokenResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
                           v1::RevokeTokenResponse* response) override;
  grpc::Status GetToken(grpc::ServerContext* context, const v1::GetTokenRequest* request,
                        v1::GetTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override;
  grpc::Status VerifyToken(grpc::ServerContext* context, const v1::VerifyTokenRequest* request,
                           v1::VerifyTokenResponse* response) override;
  grpc::Status WatchRevocations(grpc::ServerContext* context, const v1::WatchRevocationsRequest* request,
                                grpc::ServerWriter<v1::RevocationEvent>* writer) override;
  grpc::Status ListTokenEvents(grpc::ServerContext* context, const v1::ListTokenEventsRequest* request,
                               v1::ListTokenEventsResponse* response) override;
  grpc::Status AdminListTokens(grpc::ServerContext* context, const v1::AdminListTokensRequest* request,
                               v1::AdminListTokensResponse* response) override;
  grpc::Status RevokeUserTokens(grpc::ServerContext* context, const v1::RevokeUserTokensRequest* request,
                                v1::RevokeUserTokensResponse* response) override;

  grpc::Status RevokeTokensByContent(grpc::ServerContext* context,
                                     const v1::RevokeTokensByContentRequest* request,
                                     v1::RevokeTokensByContentResponse* response) override;
  // UNIMPLEMENTED while `dead_uses` is null.
  grpc::Status ReportTokenUses(grpc::ServerContext* context, const v1::ReportTokenUsesRequest* request,
                               v1::ReportTokenUsesResponse* response) override;
  grpc::Status CreateServiceAccount(grpc::ServerContext* context,
                                    const v1::CreateServiceAccountRequest* request,
                                    v1::CreateServiceAccountResponse* response) override;
  grpc::Status ListServiceAccounts(grpc::ServerContext* context,
                                   const v1::ListServiceAccountsRequest* request,
                                   v1::ListServiceAccountsResponse* response) override;
  grpc::Status DisableServiceAccount(grpc::ServerContext* context,
                                     const v1::DisableServiceAccountRequest* request,
                                     v1::DisableServiceAccountResponse* response) override;
  grpc::Status AddServiceAccountManager(grpc::ServerContext* context,
                                        const v1::ServiceAccountManagerRequest* request,
                                        v1::ServiceAccountManagerResponse* response) override;
  grpc::Status RemoveServiceAccountManager(grpc::ServerContext* context,
                                           const v1::ServiceAccountManagerRequest* request,
                                           v1::ServiceAccountManagerResponse* response) override;
  grpc::Status ListManagedServiceAccounts(grpc::ServerContext* context,
                                          const v1::ListManagedServiceAccountsRequest* request,
                                          v1::ListManagedServiceAccountsResponse* response) override;

 private:
  void RememberEmail(const v1::Actor& actor, const std::string& user_name);
  // The caller policy's verdict on a management call; a refusal is audited.
  grpc::Status Allow(grpc::ServerContext* context, absl::string_view method, const AuditActor& actor,
                     const std::string& user_name, const std::string& token_id = "");
  // Allow, and for an administration RPC also the role: a request that names
  // a person who does not hold it is refused (and audited), so the api can
  // forward a non-admin's attempt to be recorded.
  grpc::Status AllowAdmin(grpc::ServerContext* context, absl::string_view method, const v1::Actor* actor,
                          const AuditActor& audit_actor, const std::string& user_name);

  // The request as PersonalTokens takes it: with `service_account` set, its
  // user_name becomes the account's owner name once the person may do
  // `access` (a refusal is audited under `method`); without, a person's name
  // must not be one (CheckPersonName).
  template <typename Request>
  absl::StatusOr<Request> OnOwner(const Request& request, absl::string_view method, const AuditActor& actor,
                                  TokenAccess access, const std::string& token_id = "");

  PersonalTokens* tokens_;
  RevocationFeed* feed_;
  RevocationLog* log_;
  const CallerPolicy* policy_;
  const absl::Duration heartbeat_;
  UserEmails* const user_emails_;
  LeakReports* const leak_reports_;
  DeadUses* const dead_uses_;
  ServiceAccounts* const service_accounts_;
};

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context);

}  // namespace tokengate
