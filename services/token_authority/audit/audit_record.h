// One audit record (deploy/migrations/0004_audit.sql) and the one way to
// write it: inside the caller's open transaction, so the record commits or
// rolls back with the change it describes. Never holds token content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/pg/postgres.h"

namespace tokengate {

// Event names (docs/audit-events.md).
inline constexpr absl::string_view kAuditTokenCreated = "token.created";
inline constexpr absl::string_view kAuditTokenRefreshed = "token.refreshed";
inline constexpr absl::string_view kAuditTokenRevoked = "token.revoked";
inline constexpr absl::string_view kAuditTokenFirstUsed = "token.first_used";
inline constexpr absl::string_view kAuditTokenLastUsed = "token.last_used";
inline constexpr absl::string_view kAuditTokenExpiryNotice = "token.expiry_notice";
inline constexpr absl::string_view kAuditManagementFailed = "management.failed";

// Actor kinds.
inline constexpr absl::string_view kActorUser = "user";
inline constexpr absl::string_view kActorAdmin = "admin";
inline constexpr absl::string_view kActorSystem = "system";
inline constexpr absl::string_view kActorLeakReport = "leak-report";
inline constexpr absl::string_view kActorService = "service";

// Who acted and where the request came from.
struct AuditActor {
  std::string kind{kActorService};
  std::string name;
  std::string client_address;
  std::string user_agent;
  std::string request_id;
};

struct AuditRecord {
  std::string event;
  AuditActor actor;
  std::optional<int64_t> user_id;  // The token's owner, when known.
  std::string user_name;
  std::string token_id;
  std::string token_name;
  std::string previous_token_id;  // A refresh: the token it replaced.
  std::string detail;             // A failure's message; a notice's channel.
};

// A stored audit record with its id and time.
struct AuditEntry {
  int64_t id = 0;
  int64_t at_unix_ms = 0;
  AuditRecord record;
};

// The audit_event columns AuditEntryFromRow reads, in its order (for SELECT).
extern const absl::string_view kAuditColumns;
AuditEntry AuditEntryFromRow(const PgResult& result, int row);

// Appends `record` on `conn`, which must be inside the transaction of the
// change (BEGIN … COMMIT by the caller). Long or control-holding values are
// clipped and spelt out (ClipForAudit), so a record never fails where its
// change would not.
absl::Status AppendAuditRecord(PgConnection& conn, const AuditRecord& record);

// At most `max_bytes` of `text`, control characters spelt out
// (EscapeControlCharacters), cut at a UTF-8 character boundary; a value
// holding a token's content (pasted where an id belongs) is replaced by
// "[redacted: held a token's content]".
std::string ClipForAudit(absl::string_view text, size_t max_bytes);

}  // namespace tokengate
