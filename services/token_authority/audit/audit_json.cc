#include "services/token_authority/audit/audit_json.h"

#include "absl/time/time.h"
#include "common/base/json_writer.h"

namespace tokengate {

std::string AuditEventJson(const AuditEntry& entry) {
  const AuditRecord& r = entry.record;
  JsonWriter json;
  json.BeginObject();
  json.Field("schema_version", kAuditSchemaVersion);
  json.Field("id", entry.id);
  json.Field("time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(entry.at_unix_ms),
                                      absl::UTCTimeZone()));
  json.Field("event", r.event);
  json.Key("actor");
  json.BeginObject();
  json.Field("kind", r.actor.kind);
  json.Field("name", r.actor.name);
  json.Field("client_address", r.actor.client_address);
  json.Field("user_agent", r.actor.user_agent);
  json.Field("request_id", r.actor.request_id);
  json.EndObject();
  json.Key("user");
  json.BeginObject();
  json.Key("id");
  if (r.user_id) {
    json.Int(*r.user_id);
  } else {
    json.Null();
  }
  json.Field("name", r.user_name);
  json.EndObject();
  json.Key("token");
  json.BeginObject();
  json.Field("id", r.token_id);
  json.Field("name", r.token_name);
  json.Field("previous_id", r.previous_token_id);
  json.EndObject();
  json.Field("detail", r.detail);
  json.EndObject();
  return json.Take();
}

}  // namespace tokengate
