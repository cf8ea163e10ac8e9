// Storage of users and personal-token rows behind a small interface; the
// PostgreSQL implementation is the only one in production. Rows never hold
// token content. Errors: UNAVAILABLE (database down), ALREADY_EXISTS (name
// clash, from the exclusion constraint), NOT_FOUND. Writes of one user's tokens
// run one at a time (the user's row is locked first), so they cannot deadlock;
// a conflict PostgreSQL still reports is retried a bounded number of times.
// Every change writes its audit record (audit_record.h) in its own transaction.
// Creates and refreshes obey an owner's TokenLimits, checked in that same
// locked transaction, so concurrent creates cannot pass them together.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/pg/postgres.h"
#include "services/token_authority/audit/audit_record.h"

namespace tokengate {

struct TokenRecord {
  std::string id;
  int64_t user_id = 0;
  std::string user_name;
  std::string name;
  std::vector<std::string> scopes;
  // Least privilege (issue 21); empty: no limit. Canonical CIDRs.
  std::vector<std::string> namespaces;
  std::vector<std::string> networks;
  absl::CivilDay since;
  absl::CivilDay until;
  std::optional<absl::Time> revoked_at;
  std::optional<absl::Time> last_used_at;
  std::string last_used_from;
  // Rotation with a grace (issue 24): while set (and revoked_at is not), the
  // token still works until grace_until; its replacement is rotated_to.
  std::string rotated_to;
  std::optional<absl::Time> grace_until;
};

// A token's limits for its audit record: "scopes=all:write namespaces=spark-*
// networks=10.0.0.0/8"; namespaces and networks only when it has them.
std::string LimitsDetail(const TokenRecord& record);

// One verified use of a token, as the usage recorder batches them.
struct TokenUse {
  std::string token_id;
  absl::Time at;
  std::string client_address;
  std::string user_agent;
};

// A presentation of a dead (revoked, refreshed-away or expired) token at an edge.
struct DeadUse {
  std::string token_id;
  absl::Time at;
  std::string client_address;
  std::string user_agent;
};

// An audit record RecordDeadUses wrote.
struct RecordedDeadUse {
  std::string token_id;
  std::string client_address;
};

struct AuditPage {
  std::vector<AuditEntry> items;
  int64_t total_count = 0;
};

struct TokenPage {
  std::vector<TokenRecord> items;
  int64_t total_count = 0;
};

// What one owner may hold and make; 0 means no limit.
struct TokenLimits {
  // Live (neither revoked nor expired) tokens; beyond it RESOURCE_EXHAUSTED
  // with code kTooManyTokensCode.
  int max_live_per_owner = 100;
  // Rows written (creates and refreshes, revoked ones too) in the last hour;
  // beyond it RESOURCE_EXHAUSTED with code kTooManyRequestsCode and the wait
  // in kRetryAfterPayload (seconds).
  int max_creations_per_hour = 60;
};

// BEGIN, lock the owner's "user" row, `body`, COMMIT; again on a deadlock
// (ABORTED). Every writer of an owner's tokens goes through here, so two
// writers never lock that owner's rows in different orders.
absl::Status WriteForOwner(PgPool& pool, int64_t user_id,
                           absl::FunctionRef<absl::Status(PgConnection&)> body);

// Inside WriteForOwner: every active (live, not expired) token of `user_id`
// revoked, one `audit` record per token (its id and name filled in). The
// revoked ids, ascending.
absl::StatusOr<std::vector<std::string>> RevokeActiveTokens(PgConnection& conn, int64_t user_id,
                                                            AuditRecord audit);

class TokenStore {
 public:
  virtual ~TokenStore() = default;
  virtual absl::StatusOr<int64_t> GetOrCreateUser(const std::string& name) = 0;
  // NOT_FOUND for a name never seen.
  virtual absl::StatusOr<int64_t> FindUser(const std::string& name) = 0;
  // `audit` (token.created) is written with the row.
  virtual absl::Status InsertToken(const TokenRecord& record, const AuditRecord& audit) = 0;
  // In one transaction: revoke `old_id` (must be the user's and live) and
  // insert `fresh` with the old row's name (filled in on return) and the
  // scopes, namespaces and networks `derive` gives it from the old row (a
  // refusal of `derive` rolls everything back), and write `audit`
  // (token.refreshed) with both ids, the name and the limits. With a
  // `grace_until` the old row stays live until then, rotated to `fresh`;
  // without, it is revoked now. A token already rotated is NOT_FOUND (it was
  // refreshed away).
  virtual absl::Status ReplaceToken(
      int64_t user_id, const std::string& old_id, TokenRecord& fresh, AuditRecord audit,
      absl::FunctionRef<absl::Status(const TokenRecord& old, TokenRecord& fresh)> derive,
      std::optional<absl::Time> grace_until) = 0;
  // NOT_FOUND when not the user's or already revoked (as Data.Rentgen answers).
  // `audit` (token.revoked) gets the token's name and is written with the change.
  // The tokens it replaced that are still in their grace end with it (one
  // family), each with a record of its own.
  virtual absl::Status RevokeToken(int64_t user_id, const std::string& id, AuditRecord audit) = 0;
  // Offboarding: every active (live, not expired) token of the user, in one
  // transaction, one `audit` record per token. The revoked ids, ascending.
  virtual absl::StatusOr<std::vector<std::string>> RevokeUserTokens(int64_t user_id, AuditRecord audit) = 0;
  virtual absl::StatusOr<TokenRecord> GetUserToken(int64_t user_id, const std::string& id) = 0;
  // Live (not revoked) tokens: the newest of each name, ordered by name;
  // total_count counts names. `ids`, when given, selects among them.
  virtual absl::StatusOr<TokenPage> ListUserTokens(int64_t user_id, int page, int page_size,
                                                   const std::vector<std::string>& ids) = 0;
  // Administration: every token (of `user_name` when not empty), newest first;
  // `active_only` keeps those neither revoked nor expired.
  virtual absl::StatusOr<TokenPage> ListAllTokens(const std::string& user_name, bool active_only, int page,
                                                  int page_size) = 0;
  // Any token by id, with its owner's name (the verify path).
  virtual absl::StatusOr<TokenRecord> LoadToken(const std::string& id) = 0;
  // Sets last use (time, address, user agent) on each row, and writes
  // token.first_used for a row never used before and token.last_used when the
  // address changed, in one statement.
  virtual absl::Status RecordUsage(const std::vector<TokenUse>& uses) = 0;
  // Revokes every token whose rotation grace has ended; how many.
  virtual absl::StatusOr<int> EndGraces() = 0;
  // token.used_after_revocation / token.used_after_expiry for each use of a
  // token that is dead at its time, unless the same token, address and user
  // agent has such a record from the hour before; `edge` goes in the detail,
  // with how the token died ("after: leak-report"). The records written.
  virtual absl::StatusOr<std::vector<RecordedDeadUse>> RecordDeadUses(const std::vector<DeadUse>& uses,
                                                                      const std::string& edge) = 0;
  // A failed management attempt (management.failed), in a transaction of its own.
  virtual absl::Status RecordFailure(const AuditRecord& audit) = 0;
  // The records naming `token_id` (also as the token a refresh replaced), newest first.
  virtual absl::StatusOr<AuditPage> ListTokenEvents(const std::string& token_id, int page, int page_size) = 0;
};

class PgTokenStore final : public TokenStore {
 public:
  explicit PgTokenStore(std::shared_ptr<PgPool> pool, TokenLimits limits = {})
      : pool_(std::move(pool)), limits_(limits) {}
  absl::StatusOr<int64_t> GetOrCreateUser(const std::string& name) override;
  absl::StatusOr<int64_t> FindUser(const std::string& name) override;
  absl::Status InsertToken(const TokenRecord& record, const AuditRecord& audit) override;
  absl::Status ReplaceToken(int64_t user_id, const std::string& old_id, TokenRecord& fresh, AuditRecord audit,
                            absl::FunctionRef<absl::Status(const TokenRecord&, TokenRecord&)> derive,
                            std::optional<absl::Time> grace_until) override;
  absl::Status RevokeToken(int64_t user_id, const std::string& id, AuditRecord audit) override;
  absl::StatusOr<std::vector<std::string>> RevokeUserTokens(int64_t user_id, AuditRecord audit) override;
  absl::StatusOr<TokenRecord> GetUserToken(int64_t user_id, const std::string& id) override;
  absl::StatusOr<TokenPage> ListUserTokens(int64_t user_id, int page, int page_size,
                                           const std::vector<std::string>& ids) override;
  absl::StatusOr<TokenPage> ListAllTokens(const std::string& user_name, bool active_only, int page,
                                          int page_size) override;
  absl::StatusOr<TokenRecord> LoadToken(const std::string& id) override;
  absl::Status RecordUsage(const std::vector<TokenUse>& uses) override;
  absl::StatusOr<int> EndGraces() override;
  absl::StatusOr<std::vector<RecordedDeadUse>> RecordDeadUses(const std::vector<DeadUse>& uses,
                                                              const std::string& edge) override;
  absl::Status RecordFailure(const AuditRecord& audit) override;
  absl::StatusOr<AuditPage> ListTokenEvents(const std::string& token_id, int page, int page_size) override;

 private:
  absl::Status WriteForUser(int64_t user_id, absl::FunctionRef<absl::Status(PgConnection&)> body) {
    return WriteForOwner(*pool_, user_id, body);
  }
  // Inside WriteForUser: may `user_id` add the row `new_id` (a UUIDv7, whose
  // time ends the rate window, so the store needs no clock of its own)?
  absl::Status CheckLimits(PgConnection& conn, int64_t user_id, const std::string& new_id);

  std::shared_ptr<PgPool> pool_;
  const TokenLimits limits_;
};

}  // namespace tokengate
