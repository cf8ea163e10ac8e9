// Storage of users and personal-token rows behind a small interface; the
// PostgreSQL implementation is the only one in production. Rows never hold
// token content. Errors: UNAVAILABLE (database down), ALREADY_EXISTS (name
// clash, from the exclusion constraint), NOT_FOUND. Writes of one user's tokens
// run one at a time (the user's row is locked first), so they cannot deadlock;
// a conflict PostgreSQL still reports is retried a bounded number of times.
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
#include "common/postgres.h"

namespace tokengate {

struct TokenRecord {
  std::string id;
  int64_t user_id = 0;
  std::string user_name;
  std::string name;
  std::vector<std::string> scopes;
  absl::CivilDay since;
  absl::CivilDay until;
  std::optional<absl::Time> revoked_at;
  std::optional<absl::Time> last_used_at;
};

struct TokenPage {
  std::vector<TokenRecord> items;
  int64_t total_count = 0;
};

class TokenStore {
 public:
  virtual ~TokenStore() = default;
  virtual absl::StatusOr<int64_t> GetOrCreateUser(const std::string& name) = 0;
  virtual absl::Status InsertToken(const TokenRecord& record) = 0;
  // In one transaction: revoke `old_id` (must be the user's and live) and
  // insert `fresh` with the old row's name and scopes (filled in on return).
  virtual absl::Status ReplaceToken(int64_t user_id, const std::string& old_id,
                                    TokenRecord& fresh) = 0;
  // NOT_FOUND when not the user's or already revoked (as Data.Rentgen answers).
  virtual absl::Status RevokeToken(int64_t user_id, const std::string& id) = 0;
  virtual absl::StatusOr<TokenRecord> GetUserToken(int64_t user_id, const std::string& id) = 0;
  // Live (not revoked) tokens: the newest of each name, ordered by name;
  // total_count counts names. `ids`, when given, selects among them.
  virtual absl::StatusOr<TokenPage> ListUserTokens(int64_t user_id, int page, int page_size,
                                                   const std::vector<std::string>& ids) = 0;
  // Any token by id, with its owner's name (the verify path).
  virtual absl::StatusOr<TokenRecord> LoadToken(const std::string& id) = 0;
  virtual absl::Status RecordUsage(const std::vector<std::pair<std::string, absl::Time>>& uses) = 0;
};

class PgTokenStore final : public TokenStore {
 public:
  explicit PgTokenStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}
  absl::StatusOr<int64_t> GetOrCreateUser(const std::string& name) override;
  absl::Status InsertToken(const TokenRecord& record) override;
  absl::Status ReplaceToken(int64_t user_id, const std::string& old_id, TokenRecord& fresh) override;
  absl::Status RevokeToken(int64_t user_id, const std::string& id) override;
  absl::StatusOr<TokenRecord> GetUserToken(int64_t user_id, const std::string& id) override;
  absl::StatusOr<TokenPage> ListUserTokens(int64_t user_id, int page, int page_size,
                                           const std::vector<std::string>& ids) override;
  absl::StatusOr<TokenRecord> LoadToken(const std::string& id) override;
  absl::Status RecordUsage(const std::vector<std::pair<std::string, absl::Time>>& uses) override;

 private:
  // BEGIN, lock the user's row, `body`, COMMIT; again on a deadlock (ABORTED).
  absl::Status WriteForUser(int64_t user_id, absl::FunctionRef<absl::Status(PgConnection&)> body);

  std::shared_ptr<PgPool> pool_;
};

}  // namespace tokengate
