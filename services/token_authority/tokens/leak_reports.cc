#include "services/token_authority/tokens/leak_reports.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/field_error.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "common/token/token_codec.h"
#include "services/token_authority/audit/audit_record.h"
#include "services/token_authority/notices/notice_outbox.h"

namespace tokengate {

absl::Status LeakReports::Report(const v1::RevokeTokensByContentRequest& request) {
  if (request.contents_size() < 1 || request.contents_size() > kMaxLeakReportContents) {
    return InvalidField("contents", request.contents_size() < 1 ? "too_short" : "too_long",
                        absl::StrCat("Give between 1 and ", kMaxLeakReportContents, " token contents"));
  }
  const int64_t now_unix = absl::ToUnixSeconds(clock_->Now());
  std::vector<std::string> ids;
  std::vector<std::string> user_ids;
  for (const auto& content : request.contents()) {
    auto claims = VerifyPersonalToken(
        content, config_.keys,
        VerifyOptions{.algorithm = config_.algorithm, .issuer = config_.issuer, .now_unix = now_unix});
    if (!claims.ok()) continue;
    auto id = CanonicalUuid(claims->token_id);
    if (!id || std::find(ids.begin(), ids.end(), *id) != ids.end()) continue;
    ids.push_back(*id);
    user_ids.push_back(absl::StrCat(claims->user_id));
  }

  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  std::vector<Revocation> revocations;
  bool notices_queued = false;
  auto written = InTransaction(*conn, [&]() -> absl::Status {
    // One revoking statement whatever was valid (an empty list revokes
    // nothing): the revocation trigger logs and announces each row; the
    // owners' notices are queued with it.
    auto revoked = conn->Exec(
        "WITH revoked AS ("
        "  UPDATE personal_token t SET revoked_at = now() "
        "  FROM unnest($1::uuid[], $2::bigint[]) AS r(id, user_id) "
        "  WHERE t.id = r.id AND t.user_id = r.user_id AND t.revoked_at IS NULL "
        "  RETURNING t.id, t.user_id, t.name, floor(extract(epoch FROM t.revoked_at))::bigint AS at), "
        "queued AS ("
        "  INSERT INTO token_notice (token_id, kind, channel) "
        "  SELECT revoked.id, 'leak', c.channel FROM revoked JOIN \"user\" u ON u.id = revoked.user_id "
        "  CROSS JOIN unnest($3::text[]) AS c(channel) "
        "  WHERE c.channel <> 'email' OR u.email IS NOT NULL "
        "  ON CONFLICT ON CONSTRAINT token_notice_once DO NOTHING RETURNING id) "
        "SELECT revoked.id::text, revoked.at, (SELECT count(*) FROM queued), revoked.user_id, u.name, "
        "       revoked.name "
        "FROM revoked JOIN \"user\" u ON u.id = revoked.user_id",
        {PgWordArray(ids), PgWordArray(user_ids), PgWordArray(channels_)});
    if (!revoked.ok()) return revoked.status();
    for (int row = 0; row < revoked->rows(); ++row) {
      const std::string id(revoked->Get(row, 0));
      revocations.push_back(Revocation{id, revoked->GetInt(row, 1)});
      notices_queued = notices_queued || revoked->GetInt(row, 2) > 0;
      const v1::Actor& reporter = request.actor();
      auto audited = AppendAuditRecord(
          *conn, AuditRecord{.event = std::string(kAuditTokenRevoked),
                             .actor = AuditActor{.kind = std::string(kActorLeakReport),
                                                 .client_address = reporter.client_address(),
                                                 .user_agent = reporter.user_agent(),
                                                 .request_id = reporter.request_id()},
                             .user_id = revoked->GetInt(row, 3),
                             .user_name = std::string(revoked->Get(row, 4)),
                             .token_id = id,
                             .token_name = std::string(revoked->Get(row, 5)),
                             .detail = "reported leaked: revoked by its content"});
      if (!audited.ok()) return audited;
    }
    return absl::OkStatus();
  });
  if (!written.ok()) return written;
  for (const auto& revocation : revocations) {
    tokens_->OnRevoked(revocation);
    TG_LOG(Info) << "leak report request_id=" << request.actor().request_id()
                 << " revoked personal token id=" << revocation.token_id;
  }
  if (notices_queued && queued_) queued_();
  return absl::OkStatus();
}

}  // namespace tokengate
