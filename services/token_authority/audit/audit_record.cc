#include "services/token_authority/audit/audit_record.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/names.h"

namespace tokengate {
namespace {

constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxAddressBytes = 128;
constexpr size_t kMaxUserAgentBytes = 512;
constexpr size_t kMaxRequestIdBytes = 200;
constexpr size_t kMaxDetailBytes = 2048;

// Every personal token's content starts so ("personal_token_" and a JWS
// header, base64url of `{"`): a value that holds one was pasted by mistake
// (a token where an id belongs) and must not reach the table.
constexpr absl::string_view kTokenContentMark = "personal_token_eyJ";
constexpr absl::string_view kRedacted = "[redacted: held a token's content]";

}  // namespace

const absl::string_view kAuditColumns =
    "id, floor(extract(epoch FROM at) * 1000)::bigint, event, actor_kind, actor_name, user_id, "
    "user_name, token_id, token_name, previous_token_id, client_address, user_agent, request_id, detail";

AuditEntry AuditEntryFromRow(const PgResult& result, int row) {
  const auto text = [&](int column) { return std::string(result.Get(row, column)); };
  AuditEntry entry{.id = result.GetInt(row, 0), .at_unix_ms = result.GetInt(row, 1)};
  entry.record = AuditRecord{
      .event = text(2),
      .actor = AuditActor{.kind = text(3),
                          .name = text(4),
                          .client_address = text(10),
                          .user_agent = text(11),
                          .request_id = text(12)},
      .user_id = result.IsNull(row, 5) ? std::nullopt : std::optional<int64_t>(result.GetInt(row, 5)),
      .user_name = text(6),
      .token_id = text(7),
      .token_name = text(8),
      .previous_token_id = text(9),
      .detail = text(13)};
  return entry;
}

std::string ClipForAudit(absl::string_view text, size_t max_bytes) {
  if (absl::StrContains(text, kTokenContentMark)) return std::string(kRedacted);
  // Spelt out, not dropped: a refused name (`victim\0x`) is recorded as the
  // caller sent it, and a NUL could not be stored at all.
  std::string out = EscapeControlCharacters(text);
  if (out.size() <= max_bytes) return out;
  size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
  out.resize(end);
  return out;
}

absl::Status AppendAuditRecord(PgConnection& conn, const AuditRecord& record) {
  const AuditActor& actor = record.actor;
  auto result = conn.Exec(
      "INSERT INTO audit_event (event, actor_kind, actor_name, user_id, user_name, token_id, "
      "token_name, previous_token_id, client_address, user_agent, request_id, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {record.event, actor.kind, ClipForAudit(actor.name, kMaxNameBytes),
       record.user_id ? PgParam(absl::StrCat(*record.user_id)) : PgParam(),
       ClipForAudit(record.user_name, kMaxNameBytes), ClipForAudit(record.token_id, kMaxNameBytes),
       ClipForAudit(record.token_name, kMaxNameBytes), ClipForAudit(record.previous_token_id, kMaxNameBytes),
       ClipForAudit(actor.client_address, kMaxAddressBytes),
       ClipForAudit(actor.user_agent, kMaxUserAgentBytes), ClipForAudit(actor.request_id, kMaxRequestIdBytes),
       ClipForAudit(record.detail, kMaxDetailBytes)});
  return result.status();
}

}  // namespace tokengate
