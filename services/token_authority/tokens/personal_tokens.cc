#include "services/token_authority/tokens/personal_tokens.h"

#include <algorithm>
#include <mutex>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/dates.h"
#include "common/base/field_error.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "common/token/token_limits.h"

namespace tokengate {
namespace {

constexpr int kMaxNameChars = 64;
constexpr int kMaxPageSize = 50;
constexpr int kDefaultPageSize = 20;
constexpr size_t kMaxCachedRows = 200000;
// How often the remembered revocations are swept for expired tokens.
constexpr absl::Duration kRevokedSweepInterval = absl::Minutes(1);
const std::vector<std::string> kAllScopes = {kReadScope, kWriteScope};

absl::Status Disabled() { return absl::FailedPreconditionError(kReasonDisabled); }

// Characters, not bytes (varchar(64) counts characters); -1 if not UTF-8.
int Utf8Length(absl::string_view text) {
  int count = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) return -1;
    for (size_t j = 1; j < len; ++j) {
      if ((static_cast<unsigned char>(text[i + j]) >> 6) != 0x2) return -1;
    }
    i += len;
    ++count;
  }
  return count;
}

absl::Status ValidateName(const std::string& name) {
  const int length = Utf8Length(name);
  if (length < 0) return InvalidField("name", "string_type", "Input should be a valid string");
  TG_RETURN_IF_ERROR(CheckNoControlCharacters("name", name));
  if (length < 1) return InvalidField("name", "string_too_short", "String should have at least 1 character");
  if (length > kMaxNameChars) {
    return InvalidField("name", "string_too_long",
                        absl::StrCat("String should have at most ", kMaxNameChars, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ValidTokenId(const std::string& id) {
  auto canonical = CanonicalUuid(id);
  if (!canonical) return InvalidField("token_id", "uuid_parsing", "Input should be a valid UUID");
  return *canonical;
}

absl::Status RequireUser(const std::string& user_name) {
  if (user_name.empty()) return InvalidField("user_name", "missing", "user_name is required");
  return CheckNoControlCharacters("user_name", user_name);
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return {values.begin(), values.end()};
}

// The first thing wrong with a list, as INVALID_ARGUMENT naming it.
absl::Status FirstIssue(const std::vector<FieldIssue>& issues) {
  return issues.empty() ? absl::OkStatus() : StatusOf(issues.front());
}

// A request's scopes, namespaces and networks, checked; scopes sorted and
// networks canonical. An empty list stays empty ("not given").
struct RequestedLimits {
  std::vector<std::string> scopes;
  std::vector<std::string> namespaces;
  std::vector<std::string> networks;
};

template <typename Request>
absl::StatusOr<RequestedLimits> CheckedLimits(const Request& request) {
  RequestedLimits limits{.scopes = Strings(request.scopes()), .namespaces = Strings(request.namespaces())};
  TG_RETURN_IF_ERROR(FirstIssue(CheckScopes(limits.scopes)));
  TG_RETURN_IF_ERROR(FirstIssue(CheckNamespaces(limits.namespaces)));
  TG_RETURN_IF_ERROR(FirstIssue(CheckNetworks(Strings(request.networks()), &limits.networks)));
  std::sort(limits.scopes.begin(), limits.scopes.end());
  return limits;
}

// Refresh: each list the request gives replaces the old token's, if it is
// no wider; each it leaves out is kept.
absl::Status Narrowed(const RequestedLimits& requested, const TokenRecord& old, TokenRecord& fresh) {
  for (const auto& wider :
       {WiderScopes(old.scopes, requested.scopes), WiderNamespaces(old.namespaces, requested.namespaces),
        WiderNetworks(old.networks, requested.networks)}) {
    if (wider) return StatusOf(*wider);
  }
  fresh.scopes = requested.scopes.empty() ? old.scopes : requested.scopes;
  fresh.namespaces = requested.namespaces.empty() ? old.namespaces : requested.namespaces;
  fresh.networks = requested.networks.empty() ? old.networks : requested.networks;
  return absl::OkStatus();
}

// Page and page size as Data.Rentgen validates them; 0 means the default.
absl::Status ResolvePage(int32_t raw_page, int32_t raw_size, int& page, int& page_size) {
  page = raw_page == 0 ? 1 : raw_page;
  page_size = raw_size == 0 ? kDefaultPageSize : raw_size;
  if (page < 1)
    return InvalidField("page", "greater_than_equal", "Input should be greater than or equal to 1");
  if (page_size < 1) {
    return InvalidField("page_size", "greater_than_equal", "Input should be greater than or equal to 1");
  }
  if (page_size > kMaxPageSize) {
    return InvalidField("page_size", "less_than_equal",
                        absl::StrCat("Input should be less than or equal to ", kMaxPageSize));
  }
  return absl::OkStatus();
}

// Records `result`'s failure, if any, and passes it on.
template <typename Result>
Result Audited(PersonalTokens& tokens, absl::string_view method, const AuditActor& actor,
               const std::string& user_name, const std::string& token_id, Result result) {
  absl::Status status;
  if constexpr (std::is_same_v<Result, absl::Status>) {
    status = result;
  } else {
    status = result.status();
  }
  if (!status.ok()) tokens.RecordFailure(method, actor, user_name, token_id, status);
  return result;
}

v1::VerifyTokenResponse Invalid(absl::string_view reason, absl::Duration ttl) {
  v1::VerifyTokenResponse response;
  response.set_valid(false);
  response.set_reason(std::string(reason));
  response.set_cache_ttl_seconds(static_cast<int32_t>(absl::ToInt64Seconds(ttl)));
  return response;
}

// Expired (by its claims or its row): the reason Data.Rentgen gives, and the id.
v1::VerifyTokenResponse Expired(const std::string& token_id, absl::Duration ttl) {
  v1::VerifyTokenResponse response = Invalid(kReasonExpired, ttl);
  response.set_token_id(token_id);
  response.set_expired(true);
  return response;
}

}  // namespace

void ToProto(const TokenRecord& record, v1::PersonalToken* out) {
  out->set_id(record.id);
  out->set_name(record.name);
  for (const auto& scope : record.scopes) out->add_scopes(scope);
  for (const auto& pattern : record.namespaces) out->add_namespaces(pattern);
  for (const auto& network : record.networks) out->add_networks(network);
  out->set_since(FormatDay(record.since));
  out->set_until(FormatDay(record.until));
  out->set_revoked_at_unix(record.revoked_at ? absl::ToUnixSeconds(*record.revoked_at) : 0);
  out->set_last_used_at_unix(record.last_used_at ? absl::ToUnixSeconds(*record.last_used_at) : 0);
  out->set_last_used_from(record.last_used_from);
  if (!record.rotated_to.empty() && record.grace_until) {
    out->set_rotated_to(record.rotated_to);
    out->set_grace_until_unix(absl::ToUnixSeconds(*record.grace_until));
  }
}

absl::StatusOr<absl::CivilDay> PersonalTokens::ResolveUntil(const std::string& until,
                                                            absl::CivilDay today) const {
  const absl::CivilDay max_day = today + config_.max_duration_days;
  if (until.empty()) return max_day;
  const auto day = ParseDay(until);
  if (!day) {
    return InvalidField("until", "date_from_datetime_parsing",
                        "Input should be a valid date in the format YYYY-MM-DD");
  }
  if (*day <= today) return InvalidField("until", "date_future", "Date should be in the future");
  if (*day > max_day) {
    return InvalidField("until", "less_than_equal",
                        absl::StrCat("Input should be less than or equal to ", FormatDay(max_day)),
                        absl::StrCat("{\"le\":\"", FormatDay(max_day), "\"}"));
  }
  return *day;
}

std::string PersonalTokens::Mint(const TokenRecord& record, absl::Time now) const {
  TokenClaims claims;
  claims.issuer = config_.issuer;
  claims.token_id = record.id;
  claims.token_name = record.name;
  claims.user_id = record.user_id;
  claims.user_name = record.user_name;
  claims.scope = absl::StrJoin(record.scopes, " ");
  claims.issued_at = absl::ToUnixSeconds(now);
  claims.not_before = StartOfDayUnix(record.since);
  claims.expires_at = StartOfDayUnix(record.until + 1);
  return EncodePersonalToken(claims, config_.keys.Newest(), config_.algorithm);
}

absl::StatusOr<int64_t> PersonalTokens::UserIdOf(const std::string& user_name) {
  TG_RETURN_IF_ERROR(RequireUser(user_name));
  return store_->GetOrCreateUser(user_name);
}

void PersonalTokens::RecordFailure(absl::string_view method, const AuditActor& actor,
                                   const std::string& user_name, const std::string& token_id,
                                   const absl::Status& failure) {
  if (absl::IsUnavailable(failure)) return;
  AuditRecord record{.event = std::string(kAuditManagementFailed),
                     .actor = actor,
                     .user_name = user_name,
                     .token_id = token_id,
                     .detail = absl::StrCat(method, ": ", failure.message())};
  if (auto status = store_->RecordFailure(record); !status.ok()) {
    TG_LOG(Warning) << "failed " << method << " not audited: " << status.message();
  }
}

absl::StatusOr<v1::IssueTokenResponse> PersonalTokens::Issue(const v1::IssueTokenRequest& request,
                                                             const AuditActor& actor) {
  return Audited(*this, "IssueToken", actor, request.user_name(), "", IssueUnaudited(request, actor));
}

absl::StatusOr<v1::RefreshTokenResponse> PersonalTokens::Refresh(const v1::RefreshTokenRequest& request,
                                                                 const AuditActor& actor) {
  return Audited(*this, "RefreshToken", actor, request.user_name(), request.token_id(),
                 RefreshUnaudited(request, actor));
}

absl::Status PersonalTokens::Revoke(const v1::RevokeTokenRequest& request, const AuditActor& actor) {
  return Audited(*this, "RevokeToken", actor, request.user_name(), request.token_id(),
                 RevokeUnaudited(request, actor));
}

absl::StatusOr<v1::ListTokensResponse> PersonalTokens::List(const v1::ListTokensRequest& request,
                                                            const AuditActor& actor) {
  return Audited(*this, "ListTokens", actor, request.user_name(), "", ListUnaudited(request));
}

absl::StatusOr<v1::AdminListTokensResponse> PersonalTokens::AdminList(
    const v1::AdminListTokensRequest& request, const AuditActor& actor) {
  return Audited(*this, "AdminListTokens", actor, request.user_name(), "", AdminListUnaudited(request));
}

absl::StatusOr<v1::RevokeUserTokensResponse> PersonalTokens::RevokeUserTokens(
    const v1::RevokeUserTokensRequest& request, const AuditActor& actor) {
  return Audited(*this, "RevokeUserTokens", actor, request.user_name(), "",
                 RevokeUserTokensUnaudited(request, actor));
}

absl::StatusOr<v1::IssueTokenResponse> PersonalTokens::IssueUnaudited(const v1::IssueTokenRequest& request,
                                                                      const AuditActor& actor) {
  if (!config_.personal_tokens_enabled) return Disabled();
  TG_RETURN_IF_ERROR(RequireUser(request.user_name()));
  TG_RETURN_IF_ERROR(ValidateName(request.name()));
  const absl::Time now = clock_->Now();
  const absl::CivilDay today = UtcDay(now);
  TG_ASSIGN_OR_RETURN(auto until, ResolveUntil(request.until(), today));
  TG_ASSIGN_OR_RETURN(auto limits, CheckedLimits(request));
  auto user_id = UserIdOf(request.user_name());
  if (!user_id.ok()) return user_id.status();

  // The UUIDv7 timestamp is the token's `iat`, so they are taken together.
  const int64_t now_ms = absl::ToUnixMillis(now);
  TokenRecord record{.id = NewUuidV7(now_ms),
                     .user_id = *user_id,
                     .user_name = request.user_name(),
                     .name = request.name(),
                     .scopes = limits.scopes.empty() ? kAllScopes : std::move(limits.scopes),
                     .namespaces = std::move(limits.namespaces),
                     .networks = std::move(limits.networks),
                     .since = today,
                     .until = until};
  const AuditRecord audit{.event = std::string(kAuditTokenCreated),
                          .actor = actor,
                          .user_id = record.user_id,
                          .user_name = record.user_name,
                          .token_id = record.id,
                          .token_name = record.name,
                          .detail = LimitsDetail(record)};
  TG_RETURN_IF_ERROR(store_->InsertToken(record, audit));
  TG_LOG(Info) << "issued personal token id=" << record.id << " user_id=" << record.user_id;

  v1::IssueTokenResponse response;
  ToProto(record, response.mutable_token());
  response.set_content(Mint(record, absl::FromUnixMillis(now_ms)));
  return response;
}

absl::Status PersonalTokens::CheckGrace(int32_t grace_seconds) const {
  if (grace_seconds < 0) {
    return InvalidField("grace_seconds", "greater_than_equal", "Input should be greater than or equal to 0",
                        R"({"ge":0})");
  }
  const int64_t cap = absl::ToInt64Seconds(config_.max_rotation_grace);
  if (grace_seconds > cap) {
    return InvalidField("grace_seconds", "less_than_equal",
                        absl::StrCat("Input should be less than or equal to ", cap),
                        absl::StrCat(R"({"le":)", cap, "}"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::RefreshTokenResponse> PersonalTokens::RefreshUnaudited(
    const v1::RefreshTokenRequest& request, const AuditActor& actor) {
  TG_ASSIGN_OR_RETURN(auto old_id, ValidTokenId(request.token_id()));
  TG_ASSIGN_OR_RETURN(auto limits, CheckedLimits(request));
  TG_RETURN_IF_ERROR(CheckGrace(request.grace_seconds()));
  const absl::Time now = clock_->Now();
  const absl::CivilDay today = UtcDay(now);
  TG_ASSIGN_OR_RETURN(auto user_id, UserIdOf(request.user_name()));
  auto until = ResolveUntil(request.until(), today);
  // Data.Rentgen revokes the old token before it creates the new one, and
  // only creating checks that personal tokens are on and that `until` is not
  // too late: an unknown or revoked token is its 404 first (a malformed or
  // past date is refused before anything, there as here).
  const bool too_late = !until.ok() && PayloadOf(until.status(), kCodePayload) == "less_than_equal";
  if (!until.ok() && !too_late) return until.status();
  if (too_late || !config_.personal_tokens_enabled) {
    TG_ASSIGN_OR_RETURN(auto old, store_->GetUserToken(user_id, old_id));
    if (old.revoked_at) return EntityError(absl::StatusCode::kNotFound, "PersonalToken", "id", old_id);
  }
  if (!config_.personal_tokens_enabled) return Disabled();
  if (!until.ok()) return until.status();

  const int64_t now_ms = absl::ToUnixMillis(now);
  TokenRecord fresh{.id = NewUuidV7(now_ms),
                    .user_id = user_id,
                    .user_name = request.user_name(),
                    .since = today,
                    .until = *until};
  AuditRecord audit{.event = std::string(kAuditTokenRefreshed),
                    .actor = actor,
                    .user_id = user_id,
                    .user_name = request.user_name()};
  auto derive = [&](const TokenRecord& old, TokenRecord& replacement) {
    return Narrowed(limits, old, replacement);
  };
  std::optional<absl::Time> grace_until;
  if (request.grace_seconds() > 0)
    grace_until = absl::FromUnixMillis(now_ms) + absl::Seconds(request.grace_seconds());
  TG_RETURN_IF_ERROR(store_->ReplaceToken(user_id, old_id, fresh, std::move(audit), derive, grace_until));
  if (grace_until) {
    OnRotated(old_id, fresh.id, *grace_until);
  } else {
    OnRevoked(Revocation{old_id, absl::ToUnixSeconds(now)});
  }
  TG_LOG(Info) << "refreshed personal token id=" << old_id << " as id=" << fresh.id
               << (grace_until ? absl::StrCat(" (the old one works ", request.grace_seconds(), " s more)")
                               : "");

  v1::RefreshTokenResponse response;
  ToProto(fresh, response.mutable_token());
  response.set_content(Mint(fresh, absl::FromUnixMillis(now_ms)));
  return response;
}

absl::Status PersonalTokens::RevokeUnaudited(const v1::RevokeTokenRequest& request, const AuditActor& actor) {
  auto id = ValidTokenId(request.token_id());
  if (!id.ok()) return id.status();
  TG_ASSIGN_OR_RETURN(auto user_id, UserIdOf(request.user_name()));
  AuditRecord audit{.event = std::string(kAuditTokenRevoked),
                    .actor = actor,
                    .user_id = user_id,
                    .user_name = request.user_name()};
  TG_RETURN_IF_ERROR(store_->RevokeToken(user_id, *id, std::move(audit)));
  // The NOTIFY reaches every replica; this one must not wait for it.
  OnRevoked(Revocation{*id, absl::ToUnixSeconds(clock_->Now())});
  TG_LOG(Info) << "revoked personal token id=" << *id;
  return absl::OkStatus();
}

absl::StatusOr<v1::GetTokenResponse> PersonalTokens::Get(const v1::GetTokenRequest& request) {
  TG_ASSIGN_OR_RETURN(auto id, ValidTokenId(request.token_id()));
  TG_ASSIGN_OR_RETURN(auto user_id, UserIdOf(request.user_name()));
  TG_ASSIGN_OR_RETURN(auto record, store_->GetUserToken(user_id, id));
  v1::GetTokenResponse response;
  ToProto(record, response.mutable_token());
  return response;
}

absl::StatusOr<v1::ListTokensResponse> PersonalTokens::ListUnaudited(const v1::ListTokensRequest& request) {
  int page = 0;
  int page_size = 0;
  if (auto status = ResolvePage(request.page(), request.page_size(), page, page_size); !status.ok()) {
    return status;
  }
  std::vector<std::string> ids;
  for (const auto& raw : request.token_ids()) {
    TG_ASSIGN_OR_RETURN(auto id, ValidTokenId(raw));
    ids.push_back(id);
  }
  TG_ASSIGN_OR_RETURN(auto user_id, UserIdOf(request.user_name()));
  TG_ASSIGN_OR_RETURN(auto page_rows, store_->ListUserTokens(user_id, page, page_size, ids));
  v1::ListTokensResponse response;
  for (const auto& record : page_rows.items) ToProto(record, response.add_tokens());
  response.set_total_count(page_rows.total_count);
  return response;
}

absl::StatusOr<v1::ListTokenEventsResponse> PersonalTokens::ListEvents(
    const v1::ListTokenEventsRequest& request) {
  int page = 0;
  int page_size = 0;
  if (auto status = ResolvePage(request.page(), request.page_size(), page, page_size); !status.ok()) {
    return status;
  }
  TG_ASSIGN_OR_RETURN(auto id, ValidTokenId(request.token_id()));
  TG_ASSIGN_OR_RETURN(auto user_id, UserIdOf(request.user_name()));
  // Only the owner sees a token's history.
  if (auto owned = store_->GetUserToken(user_id, id); !owned.ok()) return owned.status();
  TG_ASSIGN_OR_RETURN(auto events, store_->ListTokenEvents(id, page, page_size));
  v1::ListTokenEventsResponse response;
  for (const AuditEntry& entry : events.items) {
    const AuditRecord& r = entry.record;
    v1::AuditEvent* event = response.add_events();
    event->set_id(entry.id);
    event->set_at_unix_ms(entry.at_unix_ms);
    event->set_event(r.event);
    event->set_actor_kind(r.actor.kind);
    event->set_actor_name(r.actor.name);
    event->set_user_name(r.user_name);
    event->set_token_id(r.token_id);
    event->set_token_name(r.token_name);
    event->set_client_address(r.actor.client_address);
    event->set_user_agent(r.actor.user_agent);
    event->set_request_id(r.actor.request_id);
    event->set_detail(r.detail);
  }
  response.set_total_count(events.total_count);
  return response;
}

absl::StatusOr<v1::AdminListTokensResponse> PersonalTokens::AdminListUnaudited(
    const v1::AdminListTokensRequest& request) {
  int page = 0;
  int page_size = 0;
  if (auto status = ResolvePage(request.page(), request.page_size(), page, page_size); !status.ok()) {
    return status;
  }
  TG_RETURN_IF_ERROR(CheckNoControlCharacters("user_name", request.user_name()));
  TG_ASSIGN_OR_RETURN(auto rows,
                      store_->ListAllTokens(request.user_name(), request.active_only(), page, page_size));
  v1::AdminListTokensResponse response;
  for (const auto& record : rows.items) {
    v1::PersonalToken* token = response.add_tokens();
    ToProto(record, token);
    token->set_user_name(record.user_name);
  }
  response.set_total_count(rows.total_count);
  return response;
}

absl::StatusOr<v1::RevokeUserTokensResponse> PersonalTokens::RevokeUserTokensUnaudited(
    const v1::RevokeUserTokensRequest& request, const AuditActor& actor) {
  TG_RETURN_IF_ERROR(RequireUser(request.user_name()));
  auto user_id = store_->FindUser(request.user_name());
  if (!user_id.ok()) return user_id.status();
  AuditRecord audit{.event = std::string(kAuditTokenRevoked),
                    .actor = actor,
                    .user_id = *user_id,
                    .user_name = request.user_name(),
                    .detail = "offboarding: all of the user's tokens"};
  TG_ASSIGN_OR_RETURN(auto ids, store_->RevokeUserTokens(*user_id, std::move(audit)));
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  v1::RevokeUserTokensResponse response;
  for (const std::string& id : ids) {
    OnRevoked(Revocation{id, now});
    response.add_token_ids(id);
  }
  response.set_revoked_count(static_cast<int32_t>(ids.size()));
  TG_LOG(Info) << "revoked " << ids.size() << " personal tokens of user_id=" << *user_id;
  return response;
}

absl::StatusOr<TokenRecord> PersonalTokens::FindRecord(const std::string& id) {
  uint64_t generation = 0;
  const bool trusted = cache_trusted_();
  {
    std::shared_lock lock(mutex_);
    if (trusted) {
      if (auto it = rows_.find(id); it != rows_.end()) return it->second;
    }
    generation = generation_;
  }
  TG_ASSIGN_OR_RETURN(auto record, store_->LoadToken(id));
  std::unique_lock lock(mutex_);
  // A revocation or gap seen while we were reading may be newer than the row.
  if (auto it = revoked_.find(id); it != revoked_.end()) {
    if (!record.revoked_at) record.revoked_at = clock_->Now();
    it->second = absl::FromUnixSeconds(StartOfDayUnix(record.until + 1));
  }
  if (trusted && generation == generation_) {
    if (rows_.size() >= kMaxCachedRows) rows_.clear();
    rows_[id] = record;
  }
  return record;
}

absl::StatusOr<v1::VerifyTokenResponse> PersonalTokens::Verify(const v1::VerifyTokenRequest& request) {
  if (!config_.personal_tokens_enabled) return Invalid(kReasonDisabled, config_.negative_cache_ttl);
  const absl::Time now = clock_->Now();
  const int64_t now_unix = absl::ToUnixSeconds(now);
  auto claims = VerifyPersonalToken(request.token(), config_.keys,
                                    VerifyOptions{.algorithm = config_.algorithm,
                                                  .issuer = config_.issuer,
                                                  .now_unix = now_unix,
                                                  .check_expiry = false});
  if (!claims.ok()) return Invalid(claims.status().message(), config_.negative_cache_ttl);

  auto id = CanonicalUuid(claims->token_id);
  if (!id) return Invalid(kReasonInvalidToken, config_.negative_cache_ttl);
  // An expired token is refused before its row is read, as Data.Rentgen
  // refuses it; the answer names it, so the edges can report its uses.
  if (now_unix >= claims->expires_at) return Expired(*id, config_.negative_cache_ttl);
  auto record = FindRecord(*id);
  if (!record.ok() && !absl::IsNotFound(record.status())) return record.status();
  // A well-signed token with no row of its owner's is "revoked" to
  // Data.Rentgen too (it looks the row up by id and user); unlike a revoked
  // row, edges do not remember it for good, since an import may add the row.
  if (!record.ok() || record->user_id != claims->user_id) {
    return Invalid(RevokedTokenReason(claims->token_name, *id), config_.negative_cache_ttl);
  }

  v1::VerifyTokenResponse response;
  response.set_token_id(record->id);
  response.set_token_name(record->name);
  response.set_user_id(record->user_id);
  response.set_user_name(record->user_name);
  const int64_t expires_at = StartOfDayUnix(record->until + 1);
  // A token refreshed with a grace dies when the grace ends, whether or not
  // the sweep has revoked its row yet.
  if (record->revoked_at || (record->grace_until && now >= *record->grace_until)) {
    response.set_valid(false);
    response.set_expires_at_unix(expires_at);
    response.set_revoked(true);
    response.set_reason(RevokedTokenReason(record->name, record->id));
    response.set_cache_ttl_seconds(static_cast<int32_t>(absl::ToInt64Seconds(config_.negative_cache_ttl)));
    return response;
  }
  // The row, not the claims, decides validity: a leaked key must not extend a token.
  if (now_unix >= expires_at) return Expired(record->id, config_.negative_cache_ttl);
  if (now_unix < StartOfDayUnix(record->since))
    return Invalid(kReasonNotYetValid, config_.negative_cache_ttl);

  response.set_valid(true);
  for (const auto& scope : record->scopes) response.add_scopes(scope);
  for (const auto& pattern : record->namespaces) response.add_namespaces(pattern);
  for (const auto& network : record->networks) response.add_networks(network);
  response.set_expires_at_unix(expires_at);
  int64_t ttl = std::min(absl::ToInt64Seconds(config_.verify_cache_ttl), expires_at - now_unix);
  if (record->grace_until) {
    response.set_rotated_to(record->rotated_to);
    response.set_grace_until_unix(absl::ToUnixSeconds(*record->grace_until));
    ttl = std::min(ttl, absl::ToInt64Seconds(*record->grace_until - now));
  }
  response.set_cache_ttl_seconds(static_cast<int32_t>(ttl));
  usage_->Touch(TokenUse{.token_id = record->id,
                         .at = now,
                         .client_address = request.client_address(),
                         .user_agent = request.user_agent()});
  return response;
}

void PersonalTokens::OnRotated(const std::string& old_id, const std::string& new_id, absl::Time grace_until) {
  std::unique_lock lock(mutex_);
  if (auto it = rows_.find(old_id); it != rows_.end()) {
    it->second.rotated_to = new_id;
    it->second.grace_until = grace_until;
  }
}

void PersonalTokens::OnRevoked(const Revocation& revocation) {
  const absl::Time now = clock_->Now();
  std::unique_lock lock(mutex_);
  // The token's expiry when its row is cached; else the latest any token
  // issued here can expire (an imported one may live longer: once forgotten,
  // its row, which says revoked, is read again on its next use).
  auto [remembered, inserted] = revoked_.try_emplace(
      revocation.token_id,
      absl::FromUnixSeconds(StartOfDayUnix(UtcDay(now) + config_.max_duration_days + 1)));
  if (auto it = rows_.find(revocation.token_id); it != rows_.end()) {
    if (!it->second.revoked_at) it->second.revoked_at = absl::FromUnixSeconds(revocation.revoked_at_unix);
    remembered->second = absl::FromUnixSeconds(StartOfDayUnix(it->second.until + 1));
  }
  if (now < next_sweep_) return;
  next_sweep_ = now + kRevokedSweepInterval;
  absl::erase_if(revoked_, [&](const auto& entry) { return entry.second <= now; });
}

size_t PersonalTokens::RememberedRevocations() {
  std::shared_lock lock(mutex_);
  return revoked_.size();
}

void PersonalTokens::OnFeedGap() {
  std::unique_lock lock(mutex_);
  rows_.clear();
  ++generation_;
}

}  // namespace tokengate
