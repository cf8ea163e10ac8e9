#include "services/api/tokens/admin_messages.h"

#include "absl/strings/ascii.h"
#include "common/base/json_writer.h"
#include "common/token/audit_event_json.h"

namespace tokengate {
void ParseQueryBool(const std::string& name, const std::string& value, bool* out,
                    std::vector<FieldIssue>& issues) {
  const std::string lower = absl::AsciiStrToLower(value);
  for (const char* yes : {"1", "on", "t", "true", "y", "yes"}) {
    if (lower == yes) {
      *out = true;
      return;
    }
  }
  for (const char* no : {"0", "off", "f", "false", "n", "no"}) {
    if (lower == no) {
      *out = false;
      return;
    }
  }
  issues.push_back(FieldIssue{.location = {"query", name},
                              .code = "bool_parsing",
                              .message = "Input should be a valid boolean, unable to interpret input",
                              .input_json = JsonQuote(value)});
}

Validated<PageQuery> ParsePageQuery(const UrlParams& query) {
  PageQuery parsed;
  std::vector<FieldIssue> issues;
  ParsePageParams(query, &parsed.page, &parsed.page_size, issues);
  if (!issues.empty()) return Validated<PageQuery>{.issues = std::move(issues)};
  return Validated<PageQuery>{.value = parsed};
}

Validated<AdminListQuery> ParseAdminListQuery(const UrlParams& query) {
  AdminListQuery parsed;
  std::vector<FieldIssue> issues;
  if (auto user = FirstValue(query, "user")) parsed.user = *user;
  if (auto active = FirstValue(query, "active"))
    ParseQueryBool("active", *active, &parsed.active_only, issues);
  ParsePageParams(query, &parsed.page.page, &parsed.page.page_size, issues);
  if (!issues.empty()) return Validated<AdminListQuery>{.issues = std::move(issues)};
  return Validated<AdminListQuery>{.value = std::move(parsed)};
}

std::string EventsJson(const PageQuery& query, const v1::ListTokenEventsResponse& response) {
  JsonWriter json;
  json.BeginObject();
  WritePageMeta(json, query.page, query.page_size, response.total_count(), response.events_size());
  json.Key("items");
  json.BeginArray();
  for (const v1::AuditEvent& event : response.events()) {
    json.BeginObject();
    json.Field("id", event.id());
    json.Key("data");
    WriteAuditEventJson(json, event);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Take();
}

std::string AdminListJson(const AdminListQuery& query, const v1::AdminListTokensResponse& response) {
  JsonWriter json;
  json.BeginObject();
  WritePageMeta(json, query.page.page, query.page.page_size, response.total_count(), response.tokens_size());
  json.Key("items");
  json.BeginArray();
  for (const auto& token : response.tokens()) {
    json.BeginObject();
    WriteTokenData(json, token, /*admin_view=*/true);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Take();
}

void WriteRevokedIds(JsonWriter& json, int32_t count,
                     const google::protobuf::RepeatedPtrField<std::string>& ids) {
  json.Field("revoked_count", count);
  json.Key("token_ids");
  json.BeginArray();
  for (const auto& id : ids) json.String(id);
  json.EndArray();
}

std::string RevokedUserTokensJson(const v1::RevokeUserTokensResponse& response) {
  JsonWriter json;
  json.BeginObject();
  WriteRevokedIds(json, response.revoked_count(), response.token_ids());
  // Only when there were any: the answer without service accounts keeps its shape.
  if (!response.removed_from_service_accounts().empty()) {
    json.Key("removed_from_service_accounts");
    json.BeginArray();
    for (const auto& name : response.removed_from_service_accounts()) json.String(name);
    json.EndArray();
  }
  json.EndObject();
  return json.Take();
}

}  // namespace tokengate
