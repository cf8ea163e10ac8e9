// Service accounts (issue 23): token owners that are not a person, their
// manager lists, and the one decision of who may touch their tokens. A
// service account is a "user" row named "sa:<name>" (0008_service_accounts.sql),
// so its tokens go through PersonalTokens unchanged; this module never mints,
// verifies or reads a token itself. Every change writes its audit record in
// its own transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/pg/postgres.h"
#include "services/token_authority/audit/audit_record.h"
#include "services/token_authority/tokens/personal_tokens.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

// A service account's tokens carry this before its name as their owner.
inline constexpr absl::string_view kServiceAccountPrefix = "sa:";

inline constexpr absl::string_view kAuditServiceAccountCreated = "service_account.created";
inline constexpr absl::string_view kAuditServiceAccountDisabled = "service_account.disabled";
inline constexpr absl::string_view kAuditManagerAdded = "service_account.manager_added";
inline constexpr absl::string_view kAuditManagerRemoved = "service_account.manager_removed";

// Whether a person may carry `user_name`: PERMISSION_DENIED for the prefix,
// which would make them the service account of that name.
absl::Status CheckPersonName(absl::string_view user_name);

// What a call does with a service account's tokens.
enum class TokenAccess {
  kRead,  // list, get, history
  kRevoke,
  kWrite,  // create, refresh: managers only, never an admin by role alone
};

class ServiceAccounts {
 public:
  // `tokens` learns of the revocations a disable makes at once (the other
  // replicas through the revocation trigger).
  ServiceAccounts(std::shared_ptr<PgPool> pool, PersonalTokens* tokens, const Clock* clock)
      : pool_(std::move(pool)), tokens_(tokens), clock_(clock) {}

  // Administration. Creating the name of a disabled account enables it again.
  absl::StatusOr<v1::CreateServiceAccountResponse> Create(const v1::CreateServiceAccountRequest& request,
                                                          const AuditActor& actor);
  absl::StatusOr<v1::ListServiceAccountsResponse> List(const v1::ListServiceAccountsRequest& request);
  // In one transaction: disabled, every active token revoked, all audited.
  absl::StatusOr<v1::DisableServiceAccountResponse> Disable(const v1::DisableServiceAccountRequest& request,
                                                            const AuditActor& actor);
  absl::StatusOr<v1::ServiceAccountManagerResponse> AddManager(
      const v1::ServiceAccountManagerRequest& request, const AuditActor& actor);
  absl::StatusOr<v1::ServiceAccountManagerResponse> RemoveManager(
      const v1::ServiceAccountManagerRequest& request, const AuditActor& actor);

  // The enabled accounts `person` manages: on the explicit list, or named by
  // the api from an IdP group (`actor.managed_service_accounts`).
  absl::StatusOr<v1::ListManagedServiceAccountsResponse> ListManaged(
      const v1::ListManagedServiceAccountsRequest& request);

  // The owner name ("sa:<name>") the tokens of `name` carry, if `person` may
  // do `access` on them. NOT_FOUND (not saying whether it exists) unless the
  // account is enabled and `person` manages it or is an admin; an admin who
  // does not manage it may read and revoke, and gets PERMISSION_DENIED for
  // kWrite.
  absl::StatusOr<std::string> OwnerFor(const std::string& name, const std::string& person,
                                       const v1::Actor* actor, TokenAccess access);

  // Offboarding: `person` taken off every explicit manager list, one audit
  // record per list. The accounts' names, sorted.
  absl::StatusOr<std::vector<std::string>> RemoveEverywhere(const std::string& person,
                                                            const AuditActor& actor);

 private:
  // NOT_FOUND unless `name` is an enabled account.
  absl::StatusOr<int64_t> EnabledAccountId(const std::string& name);
  // Checks the request, then in one transaction with the enabled account's
  // row locked: `change`, and the account as it is after it.
  absl::StatusOr<v1::ServiceAccountManagerResponse> ChangeManagers(
      const v1::ServiceAccountManagerRequest& request,
      absl::FunctionRef<absl::Status(PgConnection&, int64_t account_id)> change);

  std::shared_ptr<PgPool> pool_;
  PersonalTokens* tokens_;
  const Clock* clock_;
};

}  // namespace tokengate
