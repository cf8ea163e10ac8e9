#include "services/api/tokens/service_account_messages.h"

#include <simdjson.h>

#include "common/base/json_writer.h"

namespace tokengate {
namespace {

void WriteAccount(JsonWriter& json, const v1::ServiceAccount& account, bool admin_view) {
  json.BeginObject();
  json.Field("id", account.name());
  json.Key("data");
  json.BeginObject();
  json.Field("name", account.name());
  json.Field("owner_name", account.owner_name());
  json.Field("description", account.description());
  json.Field("email", account.email());
  json.Field("webhook_url", account.webhook_url());
  WriteOptionalTime(json, "created_at", account.created_at_unix());
  WriteOptionalTime(json, "disabled_at", account.disabled_at_unix());
  if (admin_view) {
    json.Key("managers");
    json.BeginArray();
    for (const auto& manager : account.managers()) json.String(manager);
    json.EndArray();
  }
  json.EndObject();
  json.EndObject();
}

FieldIssue BodyIssue(std::vector<std::string> location, const char* code, const char* message,
                     std::string input_json = "") {
  return FieldIssue{
      .location = std::move(location), .code = code, .message = message, .input_json = std::move(input_json)};
}

}  // namespace

Validated<ServiceAccountBody> ParseServiceAccountBody(absl::string_view body) {
  ServiceAccountBody parsed;
  std::vector<FieldIssue> issues;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  auto root = parser.parse(body.data(), body.size());
  if (root.error() != simdjson::SUCCESS) {
    issues.push_back(BodyIssue({"body"}, "json_invalid", "JSON decode error"));
  } else if (root.get(object) != simdjson::SUCCESS) {
    issues.push_back(BodyIssue({"body"}, "model_attributes_type",
                               "Input should be a valid dictionary or object to extract fields from"));
  } else {
    bool has_name = false;
    for (auto [key, value] : object) {
      std::string* field = key == "name"          ? &parsed.name
                           : key == "description" ? &parsed.description
                           : key == "email"       ? &parsed.email
                           : key == "webhook_url" ? &parsed.webhook_url
                                                  : nullptr;
      const std::string name(key);
      if (field == nullptr) {
        issues.push_back(BodyIssue({"body", name}, "extra_forbidden", "Extra inputs are not permitted",
                                   simdjson::to_string(value)));
        continue;
      }
      has_name = has_name || field == &parsed.name;
      std::string_view text;
      if (value.is_null() && field != &parsed.name) continue;
      if (value.get(text) != simdjson::SUCCESS) {
        issues.push_back(BodyIssue({"body", name}, "string_type", "Input should be a valid string",
                                   simdjson::to_string(value)));
        continue;
      }
      *field = std::string(text);
    }
    if (!has_name) issues.push_back(BodyIssue({"body", "name"}, "missing", "Field required"));
  }
  if (!issues.empty()) return Validated<ServiceAccountBody>{.issues = std::move(issues)};
  return Validated<ServiceAccountBody>{.value = std::move(parsed)};
}

Validated<ServiceAccountsQuery> ParseServiceAccountsQuery(const UrlParams& query) {
  ServiceAccountsQuery parsed;
  std::vector<FieldIssue> issues;
  if (auto all = FirstValue(query, "include_disabled")) {
    ParseQueryBool("include_disabled", *all, &parsed.include_disabled, issues);
  }
  ParsePageParams(query, &parsed.page.page, &parsed.page.page_size, issues);
  if (!issues.empty()) return Validated<ServiceAccountsQuery>{.issues = std::move(issues)};
  return Validated<ServiceAccountsQuery>{.value = std::move(parsed)};
}

std::string ServiceAccountJson(const v1::ServiceAccount& account, bool admin_view) {
  JsonWriter json;
  WriteAccount(json, account, admin_view);
  return json.Take();
}

std::string ServiceAccountsJson(const ServiceAccountsQuery& query,
                                const v1::ListServiceAccountsResponse& response) {
  JsonWriter json;
  json.BeginObject();
  WritePageMeta(json, query.page.page, query.page.page_size, response.total_count(),
                response.service_accounts_size());
  json.Key("items");
  json.BeginArray();
  for (const auto& account : response.service_accounts()) WriteAccount(json, account, true);
  json.EndArray();
  json.EndObject();
  return json.Take();
}

std::string ManagedServiceAccountsJson(const v1::ListManagedServiceAccountsResponse& response) {
  JsonWriter json;
  json.BeginObject();
  json.Key("items");
  json.BeginArray();
  for (const auto& account : response.service_accounts()) WriteAccount(json, account, false);
  json.EndArray();
  json.EndObject();
  return json.Take();
}

std::string DisabledServiceAccountJson(const v1::DisableServiceAccountResponse& response) {
  JsonWriter json;
  json.BeginObject();
  WriteRevokedIds(json, response.revoked_count(), response.token_ids());
  json.EndObject();
  return json.Take();
}

}  // namespace tokengate
