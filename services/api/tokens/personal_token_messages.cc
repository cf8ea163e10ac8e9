#include "services/api/tokens/personal_token_messages.h"

#include <simdjson.h>

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/json_writer.h"
#include "common/base/names.h"
#include "common/http/error_body.h"
#include "common/token/token_limits.h"
#include "services/api/tokens/pydantic_date.h"
#include "services/api/tokens/pydantic_uuid.h"

namespace tokengate {
namespace {

FieldIssue Issue(std::vector<std::string> location, absl::string_view code, absl::string_view message,
                 std::string input_json = "") {
  return FieldIssue{.location = std::move(location),
                    .code = std::string(code),
                    .message = std::string(message),
                    .input_json = std::move(input_json)};
}

FieldIssue WithContext(FieldIssue issue, std::string context_json) {
  issue.context_json = std::move(context_json);
  return issue;
}

FieldIssue ExtraField(absl::string_view where, absl::string_view name, std::string input_json) {
  return Issue({std::string(where), std::string(name)}, "extra_forbidden", "Extra inputs are not permitted",
               std::move(input_json));
}

// Code points of valid UTF-8 (simdjson has validated it).
int CharCount(std::string_view text) {
  int count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

// A positive integer query parameter at most `max` (0: no maximum), with
// pydantic's codes, messages and context.
void ParsePositive(const std::string& name, const std::string& value, int max, int* out,
                   std::vector<FieldIssue>& issues) {
  int parsed = 0;
  const std::string input = JsonQuote(value);
  if (!absl::SimpleAtoi(value, &parsed)) {
    issues.push_back(Issue({"query", name}, "int_parsing",
                           "Input should be a valid integer, unable to parse string as an integer", input));
  } else if (parsed < 1) {
    issues.push_back(WithContext(
        Issue({"query", name}, "greater_than", "Input should be greater than 0", input), R"({"gt":0})"));
  } else if (max > 0 && parsed > max) {
    issues.push_back(WithContext(Issue({"query", name}, "less_than_equal",
                                       absl::StrCat("Input should be less than or equal to ", max), input),
                                 absl::StrCat(R"({"le":)", max, "}")));
  } else {
    *out = parsed;
  }
}

// The `until` member: absent or null → "", else a strict YYYY-MM-DD string.
void ParseUntil(simdjson::dom::element value, std::string* out, std::vector<FieldIssue>& issues) {
  if (value.is_null()) return;
  std::string_view text;
  // pydantic reads a number as a unix time; tokengate takes only date strings and
  // answers any number as pydantic answers a time within a day.
  if (value.is_number()) {
    issues.push_back(Issue({"body", "until"}, "date_from_datetime_inexact",
                           "Datetimes provided to dates should have zero time - e.g. be exact dates",
                           simdjson::to_string(value)));
    return;
  }
  if (value.get(text) != simdjson::SUCCESS) {
    issues.push_back(
        Issue({"body", "until"}, "date_type", "Input should be a valid date", simdjson::to_string(value)));
    return;
  }
  const absl::string_view day(text.data(), text.size());
  if (DateIssue issue = CheckDateAsPydantic(day); !issue.code.empty()) {
    issues.push_back(Issue({"body", "until"}, issue.code, issue.message, JsonQuote(day)));
    return;
  }
  *out = std::string(text);
}

// A list of strings at body.<field>: null is absent; anything but a list is
// list_type; an entry that is not a string is string_type at its index.
// `entries` gets each entry's raw JSON, for echoing it in an issue.
void ParseStringList(simdjson::dom::element value, absl::string_view field, std::vector<std::string>* out,
                     std::vector<std::string>* entries, std::vector<FieldIssue>& issues) {
  if (value.is_null()) return;
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) {
    issues.push_back(Issue({"body", std::string(field)}, "list_type", "Input should be a valid list",
                           simdjson::to_string(value)));
    return;
  }
  int index = 0;
  for (auto item : array) {
    std::string_view text;
    if (item.get(text) != simdjson::SUCCESS) {
      FieldIssue issue = Issue({"body", std::string(field)}, "string_type", "Input should be a valid string",
                               simdjson::to_string(item));
      issue.location_index = index;
      issues.push_back(std::move(issue));
    } else {
      out->emplace_back(text);
    }
    entries->push_back(simdjson::to_string(item));
    ++index;
  }
}

// One of the three limit lists, checked with the rules the authority applies.
void ParseLimitList(simdjson::dom::element value, absl::string_view field, std::vector<std::string>* out,
                    std::vector<FieldIssue>& issues) {
  std::vector<std::string> entries;
  const size_t before = issues.size();
  ParseStringList(value, field, out, &entries, issues);
  if (issues.size() != before || value.is_null()) return;
  std::vector<FieldIssue> problems;
  if (field == "scopes") {
    if (out->empty()) {
      issues.push_back(WithContext(Issue({"body", "scopes"}, "too_short",
                                         "List should have at least 1 item after validation, not 0", "[]"),
                                   R"({"field_type":"List","min_length":1,"actual_length":0})"));
      return;
    }
    problems = CheckScopes(*out);
  } else if (field == "namespaces") {
    problems = CheckNamespaces(*out);
  } else {
    problems = CheckNetworks(*out);
  }
  // The shared checks name the field; a body's issue is at body.<field>, echoing what was sent.
  for (FieldIssue& problem : problems) {
    problem.location.insert(problem.location.begin(), "body");
    problem.input_json =
        problem.location_index ? entries[*problem.location_index] : simdjson::to_string(value);
    issues.push_back(std::move(problem));
  }
}

// A member of the limits, if `key` names one; in pydantic's field order.
bool ParseLimitsMember(absl::string_view key, simdjson::dom::element value, LimitsBody& limits,
                       std::vector<FieldIssue> (&issues)[3]) {
  if (key == "scopes") {
    ParseLimitList(value, key, &limits.scopes, issues[0]);
  } else if (key == "namespaces") {
    ParseLimitList(value, key, &limits.namespaces, issues[1]);
  } else if (key == "networks") {
    ParseLimitList(value, key, &limits.networks, issues[2]);
  } else {
    return false;
  }
  return true;
}

// Parses `body` as a JSON object, or records why not.
std::optional<simdjson::dom::object> BodyObject(simdjson::dom::parser& parser, absl::string_view body,
                                                std::vector<FieldIssue>& issues) {
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    issues.push_back(Issue({"body"}, "json_invalid", "JSON decode error"));
    return std::nullopt;
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    issues.push_back(Issue({"body"}, "model_attributes_type",
                           "Input should be a valid dictionary or object to extract fields from"));
    return std::nullopt;
  }
  return object;
}

template <typename T>
Validated<T> Result(T value, std::vector<FieldIssue> issues) {
  if (!issues.empty()) return Validated<T>{.issues = std::move(issues)};
  return Validated<T>{.value = std::move(value)};
}

}  // namespace

void WriteOptionalTime(JsonWriter& json, const char* key, int64_t unix_seconds) {
  json.Key(key);
  if (unix_seconds == 0) {
    json.Null();
  } else {
    json.String(
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone()));
  }
}

void WriteTokenData(JsonWriter& json, const v1::PersonalToken& token, bool admin_view) {
  json.Field("id", token.id());
  json.Key("data");
  json.BeginObject();
  json.Field("id", token.id());
  json.Field("name", token.name());
  json.Key("scopes");
  json.BeginArray();
  for (const auto& scope : token.scopes()) json.String(scope);
  json.EndArray();
  // Only when set: a token without limits keeps Data.Rentgen's bytes.
  for (const auto& [key, values] :
       {std::pair{"namespaces", &token.namespaces()}, std::pair{"networks", &token.networks()}}) {
    if (values->empty()) continue;
    json.Key(key);
    json.BeginArray();
    for (const auto& value : *values) json.String(value);
    json.EndArray();
  }
  json.Field("since", token.since());
  json.Field("until", token.until());
  // Beyond Data.Rentgen's shape (additive): the token page shows it.
  WriteOptionalTime(json, "last_used_at", token.last_used_at_unix());
  // Only for a token refreshed with a grace (issue 24): it works until then.
  if (token.grace_until_unix() != 0) {
    WriteOptionalTime(json, "retiring_until", token.grace_until_unix());
    json.Field("rotated_to", token.rotated_to());
  }
  if (admin_view) {
    json.Field("user_name", token.user_name());
    WriteOptionalTime(json, "revoked_at", token.revoked_at_unix());
    json.Key("last_used_from");
    token.last_used_from().empty() ? json.Null() : json.String(token.last_used_from());
  }
  json.EndObject();
}

void ParsePageParams(const UrlParams& query, int* page, int* page_size, std::vector<FieldIssue>& issues) {
  if (auto value = FirstValue(query, "page")) ParsePositive("page", *value, 0, page, issues);
  if (auto value = FirstValue(query, "page_size")) {
    ParsePositive("page_size", *value, kMaxPageSize, page_size, issues);
  }
}

void WritePageMeta(JsonWriter& json, int page, int page_size, int64_t total, int items_on_page) {
  // Data.Rentgen's arithmetic: an empty list still has one page, and there is
  // a next page while rows beyond this page exist.
  const int64_t pages = std::max<int64_t>(1, (total + page_size - 1) / page_size);
  const bool has_next = static_cast<int64_t>(page - 1) * page_size + items_on_page < total;
  const bool has_previous = page > 1;
  json.Key("meta");
  json.BeginObject();
  json.Field("page", page);
  json.Field("page_size", page_size);
  json.Field("total_count", total);
  json.Field("pages_count", pages);
  json.Field("has_next", has_next);
  json.Field("has_previous", has_previous);
  json.Key("next_page");
  has_next ? json.Int(page + 1) : json.Null();
  json.Key("previous_page");
  has_previous ? json.Int(page - 1) : json.Null();
  json.EndObject();
}

Validated<ListQuery> ParseListQuery(const UrlParams& query) {
  ListQuery parsed;
  std::vector<FieldIssue> issues;
  // Issues in the model's field order, as pydantic reports them; parameters
  // Data.Rentgen does not know are ignored, as it ignores them.
  ParsePageParams(query, &parsed.page, &parsed.page_size, issues);
  int id_index = 0;
  for (const auto& [name, value] : query) {
    if (name != "personal_token_id") continue;
    UuidParse id = ParseUuidAsPydantic(value);
    if (id.error.empty()) {
      parsed.token_ids.push_back(std::move(id.canonical));
    } else {
      FieldIssue issue = Issue({"query", name}, "uuid_parsing", id.error, JsonQuote(value));
      issue.location_index = id_index;
      issues.push_back(std::move(issue));
    }
    ++id_index;
  }
  return Result(std::move(parsed), std::move(issues));
}

Validated<CreateBody> ParseCreateBody(absl::string_view body) {
  CreateBody parsed;
  std::vector<FieldIssue> issues;
  simdjson::dom::parser parser;
  auto object = BodyObject(parser, body, issues);
  if (!object) return Result(std::move(parsed), std::move(issues));
  // pydantic's order: the model's fields (name, until), then extra members.
  std::vector<FieldIssue> name_issues;
  std::vector<FieldIssue> until_issues;
  std::vector<FieldIssue> limit_issues[3];
  std::vector<FieldIssue> extra_issues;
  bool has_name = false;
  for (auto [key, value] : *object) {
    if (ParseLimitsMember(absl::string_view(key.data(), key.size()), value, parsed.limits, limit_issues))
      continue;
    if (key == "name") {
      has_name = true;
      std::string_view name;
      if (value.get(name) != simdjson::SUCCESS) {
        name_issues.push_back(Issue({"body", "name"}, "string_type", "Input should be a valid string",
                                    simdjson::to_string(value)));
      } else if (CharCount(name) < 1) {
        name_issues.push_back(
            Issue({"body", "name"}, "string_too_short", "String should have at least 1 character", "\"\""));
      } else if (CharCount(name) > kMaxTokenNameChars) {
        name_issues.push_back(
            Issue({"body", "name"}, "string_too_long",
                  absl::StrCat("String should have at most ", kMaxTokenNameChars, " characters"),
                  JsonQuote(absl::string_view(name.data(), name.size()))));
      } else if (auto bad = CheckNoControlCharacters("name", absl::string_view(name.data(), name.size()));
                 !bad.ok()) {
        name_issues.push_back(
            IssueOf(bad, {"body", "name"}, JsonQuote(absl::string_view(name.data(), name.size()))));
      } else {
        parsed.name = std::string(name);
      }
    } else if (key == "until") {
      ParseUntil(value, &parsed.until, until_issues);
    } else {
      extra_issues.push_back(
          ExtraField("body", absl::string_view(key.data(), key.size()), simdjson::to_string(value)));
    }
  }
  if (!has_name) {
    name_issues.push_back(
        Issue({"body", "name"}, "missing", "Field required", std::string(absl::StripAsciiWhitespace(body))));
  }
  for (auto* part :
       {&name_issues, &until_issues, &limit_issues[0], &limit_issues[1], &limit_issues[2], &extra_issues}) {
    issues.insert(issues.end(), part->begin(), part->end());
  }
  return Result(std::move(parsed), std::move(issues));
}

namespace {

// `grace_seconds`: null is absent; else a whole number of seconds, at least 0.
void ParseGraceSeconds(simdjson::dom::element value, int* out, std::vector<FieldIssue>& issues) {
  if (value.is_null()) return;
  int64_t seconds = 0;
  if (value.get(seconds) != simdjson::SUCCESS) {
    issues.push_back(Issue({"body", "grace_seconds"}, "int_type", "Input should be a valid integer",
                           simdjson::to_string(value)));
  } else if (seconds < 0) {
    issues.push_back(
        WithContext(Issue({"body", "grace_seconds"}, "greater_than_equal",
                          "Input should be greater than or equal to 0", simdjson::to_string(value)),
                    R"({"ge":0})"));
  } else {
    // Far beyond any cap; the authority names the cap in its refusal.
    *out = static_cast<int>(std::min<int64_t>(seconds, std::numeric_limits<int>::max()));
  }
}

}  // namespace

Validated<RefreshBody> ParseRefreshBody(absl::string_view body) {
  RefreshBody parsed;
  std::vector<FieldIssue> issues;
  if (body.find_first_not_of(" \t\r\n") == absl::string_view::npos) {
    issues.push_back(Issue({"body"}, "missing", "Field required", "null"));
    return Result(std::move(parsed), std::move(issues));
  }
  simdjson::dom::parser parser;
  auto object = BodyObject(parser, body, issues);
  if (!object) return Result(std::move(parsed), std::move(issues));
  std::vector<FieldIssue> until_issues;
  std::vector<FieldIssue> limit_issues[3];
  std::vector<FieldIssue> grace_issues;
  std::vector<FieldIssue> extra_issues;
  for (auto [key, value] : *object) {
    const absl::string_view name(key.data(), key.size());
    if (ParseLimitsMember(name, value, parsed.limits, limit_issues)) continue;
    if (name == "until") {
      ParseUntil(value, &parsed.until, until_issues);
    } else if (name == "grace_seconds") {
      ParseGraceSeconds(value, &parsed.grace_seconds, grace_issues);
    } else {
      extra_issues.push_back(ExtraField("body", name, simdjson::to_string(value)));
    }
  }
  for (auto* part :
       {&until_issues, &limit_issues[0], &limit_issues[1], &limit_issues[2], &grace_issues, &extra_issues}) {
    issues.insert(issues.end(), part->begin(), part->end());
  }
  return Result(std::move(parsed), std::move(issues));
}

Validated<std::string> ParseTokenId(absl::string_view text) {
  UuidParse id = ParseUuidAsPydantic(text);
  if (id.error.empty()) return Validated<std::string>{.value = std::move(id.canonical)};
  return Validated<std::string>{
      .issues = {Issue({"path", "token_id"}, "uuid_parsing", id.error, JsonQuote(text))}};
}

std::string ListJson(const ListQuery& query, const v1::ListTokensResponse& response) {
  JsonWriter json;
  json.BeginObject();
  WritePageMeta(json, query.page, query.page_size, response.total_count(), response.tokens_size());
  json.Key("items");
  json.BeginArray();
  for (const auto& token : response.tokens()) {
    json.BeginObject();
    WriteTokenData(json, token);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Take();
}

std::string IssuedJson(const v1::PersonalToken& token, const std::string& content) {
  JsonWriter json;
  json.BeginObject();
  WriteTokenData(json, token);
  json.Field("content", content);
  json.EndObject();
  return json.Take();
}

namespace {

// One reported content: a string of at most kMaxReportedContentChars.
void ReportedContent(simdjson::dom::element value, std::vector<std::string> location,
                     std::vector<std::string>& out, std::vector<FieldIssue>& issues,
                     std::optional<int> index = std::nullopt) {
  std::string_view text;
  FieldIssue issue;
  if (value.get(text) != simdjson::SUCCESS) {
    issue = Issue(std::move(location), "string_type", "Input should be a valid string",
                  simdjson::to_string(value));
  } else if (CharCount(text) > kMaxReportedContentChars) {
    // The input is not echoed: it may be a real token.
    issue = WithContext(
        Issue(std::move(location), "string_too_long",
              absl::StrCat("String should have at most ", kMaxReportedContentChars, " characters")),
        absl::StrCat(R"({"max_length":)", kMaxReportedContentChars, "}"));
  } else {
    out.emplace_back(text);
    return;
  }
  issue.location_index = index;
  issues.push_back(std::move(issue));
}

}  // namespace

Validated<std::vector<std::string>> ParseLeakReportBody(absl::string_view body) {
  std::vector<std::string> contents;
  std::vector<FieldIssue> issues;
  simdjson::dom::parser parser;
  auto object = BodyObject(parser, body, issues);
  if (!object) return Result(std::move(contents), std::move(issues));
  std::optional<simdjson::dom::element> one;
  std::optional<simdjson::dom::element> many;
  for (auto field : *object) {
    const absl::string_view key(field.key.data(), field.key.size());
    if (key == "content") {
      one = field.value;
    } else if (key == "contents") {
      many = field.value;
    } else {
      issues.push_back(ExtraField("body", key, "null"));  // Not echoed: it may hold a token.
    }
  }
  if (one && many) {
    issues.push_back(
        Issue({"body"}, "value_error", "Value error, give either content or contents, not both"));
  } else if (!one && !many) {
    issues.push_back(Issue({"body", "content"}, "missing", "Field required"));
  } else if (one) {
    ReportedContent(*one, {"body", "content"}, contents, issues);
  } else {
    simdjson::dom::array array;
    if (many->get(array) != simdjson::SUCCESS) {
      issues.push_back(Issue({"body", "contents"}, "list_type", "Input should be a valid list"));
    } else if (array.size() < 1 || array.size() > kMaxLeakReportContents) {
      const bool few = array.size() < 1;
      issues.push_back(WithContext(
          Issue({"body", "contents"}, few ? "too_short" : "too_long",
                few ? "List should have at least 1 item after validation, not 0"
                    : absl::StrCat("List should have at most ", kMaxLeakReportContents,
                                   " items after validation, not ", array.size())),
          absl::StrCat(R"({"field_type":"List",)",
                       few ? R"("min_length":1)" : absl::StrCat(R"("max_length":)", kMaxLeakReportContents),
                       R"(,"actual_length":)", array.size(), "}")));
    } else {
      int index = 0;
      for (auto item : array) ReportedContent(item, {"body", "contents"}, contents, issues, index++);
    }
  }
  return Result(std::move(contents), std::move(issues));
}

}  // namespace tokengate
