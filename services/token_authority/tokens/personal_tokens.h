// The authority's logic: issue, refresh, revoke, read and verify personal
// tokens. Knows nothing of flags, sockets or gRPC status; speaks the contract's
// messages and absl::Status. Verify answers from memory: rows are cached and
// revocations arrive through the RevocationFeed, so PostgreSQL is read only on
// a row's first use (or while the feed is down). Every change and every
// failed management attempt leaves one audit record (audit_record.h).
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/base/clock.h"
#include "services/token_authority/authority_config.h"
#include "services/token_authority/revocation/revocation_feed.h"
#include "services/token_authority/tokens/token_store.h"
#include "services/token_authority/tokens/usage_recorder.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

inline constexpr absl::string_view kReasonDisabled = "Authentication using PersonalTokens is disabled";

class PersonalTokens {
 public:
  // `cache_trusted`: whether cached rows may be believed now (the revocation
  // feed is listening, so a revocation would have reached the cache).
  PersonalTokens(const AuthorityConfig& config, TokenStore* store, UsageRecorder* usage, const Clock* clock,
                 std::function<bool()> cache_trusted)
      : config_(config),
        store_(store),
        usage_(usage),
        clock_(clock),
        cache_trusted_(std::move(cache_trusted)) {}

  // `actor` is who the audit trail names (see audit_actor.h).
  absl::StatusOr<v1::IssueTokenResponse> Issue(const v1::IssueTokenRequest& request,
                                               const AuditActor& actor = AuditActor());
  absl::StatusOr<v1::RefreshTokenResponse> Refresh(const v1::RefreshTokenRequest& request,
                                                   const AuditActor& actor = AuditActor());
  absl::Status Revoke(const v1::RevokeTokenRequest& request, const AuditActor& actor = AuditActor());
  absl::StatusOr<v1::GetTokenResponse> Get(const v1::GetTokenRequest& request);
  absl::StatusOr<v1::ListTokensResponse> List(const v1::ListTokensRequest& request,
                                              const AuditActor& actor = AuditActor());
  // A token's audit history, for its owner (NOT_FOUND for anyone else).
  absl::StatusOr<v1::ListTokenEventsResponse> ListEvents(const v1::ListTokenEventsRequest& request);
  absl::StatusOr<v1::AdminListTokensResponse> AdminList(const v1::AdminListTokensRequest& request,
                                                        const AuditActor& actor);
  // Offboarding: all of a user's active tokens in one transaction.
  absl::StatusOr<v1::RevokeUserTokensResponse> RevokeUserTokens(const v1::RevokeUserTokensRequest& request,
                                                                const AuditActor& actor);
  // Writes management.failed for a refused attempt (`method`: the RPC's name);
  // a database that is down is not recorded (it could not be).
  void RecordFailure(absl::string_view method, const AuditActor& actor, const std::string& user_name,
                     const std::string& token_id, const absl::Status& failure);
  // An unacceptable token is an answer (valid=false); only "could not
  // decide" (database down on a cache miss) is an error.
  absl::StatusOr<v1::VerifyTokenResponse> Verify(const v1::VerifyTokenRequest& request);

  // Feed callbacks.
  void OnRevoked(const Revocation& revocation);
  // A refresh with a grace: the cached old row learns its end at once.
  void OnRotated(const std::string& old_id, const std::string& new_id, absl::Time grace_until);
  // Notifications may have been missed: forget every cached row.
  void OnFeedGap();
  // How many revoked ids are held in memory now (each until its token expires).
  size_t RememberedRevocations();

 private:
  absl::StatusOr<v1::IssueTokenResponse> IssueUnaudited(const v1::IssueTokenRequest& request,
                                                        const AuditActor& actor);
  absl::StatusOr<v1::RefreshTokenResponse> RefreshUnaudited(const v1::RefreshTokenRequest& request,
                                                            const AuditActor& actor);
  absl::Status RevokeUnaudited(const v1::RevokeTokenRequest& request, const AuditActor& actor);
  absl::StatusOr<v1::ListTokensResponse> ListUnaudited(const v1::ListTokensRequest& request);
  absl::StatusOr<v1::AdminListTokensResponse> AdminListUnaudited(const v1::AdminListTokensRequest& request);
  absl::StatusOr<v1::RevokeUserTokensResponse> RevokeUserTokensUnaudited(
      const v1::RevokeUserTokensRequest& request, const AuditActor& actor);
  absl::StatusOr<TokenRecord> FindRecord(const std::string& id);
  // grace_seconds within 0..max_rotation_grace, else INVALID_ARGUMENT naming it.
  absl::Status CheckGrace(int32_t grace_seconds) const;
  absl::StatusOr<int64_t> UserIdOf(const std::string& user_name);
  absl::StatusOr<absl::CivilDay> ResolveUntil(const std::string& until, absl::CivilDay today) const;
  std::string Mint(const TokenRecord& record, absl::Time now) const;

  const AuthorityConfig config_;
  TokenStore* store_;
  UsageRecorder* usage_;
  const Clock* clock_;
  const std::function<bool()> cache_trusted_;

  std::shared_mutex mutex_;
  absl::flat_hash_map<std::string, TokenRecord> rows_ ABSL_GUARDED_BY(mutex_);
  // Revoked id → when it may be forgotten: its token's expiry, after which
  // Verify refuses the token anyway (the row stays the truth).
  absl::flat_hash_map<std::string, absl::Time> revoked_ ABSL_GUARDED_BY(mutex_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;  // Bumped on gaps.
};

// The contract's view of a row.
void ToProto(const TokenRecord& record, v1::PersonalToken* out);

}  // namespace tokengate
