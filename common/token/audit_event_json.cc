#include "common/token/audit_event_json.h"

#include "absl/time/time.h"

namespace tokengate {
namespace {

void TextOrNull(JsonWriter& json, const char* key, const std::string& value) {
  json.Key(key);
  value.empty() ? json.Null() : json.String(value);
}

}  // namespace

void WriteAuditEventJson(JsonWriter& json, const v1::AuditEvent& event) {
  json.BeginObject();
  json.Field("id", event.id());
  json.Field("at", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(event.at_unix_ms()),
                                    absl::UTCTimeZone()));
  json.Field("event", event.event());
  json.Field("actor_kind", event.actor_kind());
  json.Field("actor_name", event.actor_name());
  json.Field("user_name", event.user_name());
  json.Field("token_id", event.token_id());
  json.Field("token_name", event.token_name());
  TextOrNull(json, "client_address", event.client_address());
  TextOrNull(json, "user_agent", event.user_agent());
  TextOrNull(json, "request_id", event.request_id());
  TextOrNull(json, "detail", event.detail());
  json.EndObject();
}

}  // namespace tokengate
