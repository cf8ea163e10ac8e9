#include "services/cli/output.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/dates.h"

namespace tokengate::cli {
namespace {

constexpr absl::string_view kTokenPrefix = "personal_token_";

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '=';
}

}  // namespace

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    if (row.empty()) continue;  // A table without a header.
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string FormatUnix(int64_t unix_seconds) {
  if (unix_seconds == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone());
}

std::string FormatUnixMs(int64_t unix_ms) {
  if (unix_ms == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

std::string TokenState(const v1::PersonalToken& token, absl::Time now) {
  if (token.revoked_at_unix() != 0) return "revoked";
  // "YYYY-MM-DD" strings order as the days do.
  if (!token.until().empty() && token.until() < FormatDay(UtcDay(now))) return "expired";
  return "active";
}

void StringArray(JsonWriter& json, absl::string_view key,
                 const google::protobuf::RepeatedPtrField<std::string>& values) {
  json.Key(key);
  json.BeginArray();
  for (const auto& value : values) json.String(value);
  json.EndArray();
}

void StringOrNull(JsonWriter& json, absl::string_view key, absl::string_view value) {
  json.Key(key);
  if (value.empty()) {
    json.Null();
  } else {
    json.String(value);
  }
}

void WriteTokenJson(JsonWriter& json, const v1::PersonalToken& token, absl::Time now) {
  json.BeginObject();
  json.Field("id", token.id());
  json.Field("name", token.name());
  StringOrNull(json, "user_name", token.user_name());
  StringArray(json, "scopes", token.scopes());
  StringArray(json, "namespaces", token.namespaces());
  StringArray(json, "networks", token.networks());
  json.Field("since", token.since());
  json.Field("until", token.until());
  json.Field("state", TokenState(token, now));
  StringOrNull(json, "revoked_at", FormatUnix(token.revoked_at_unix()));
  StringOrNull(json, "last_used_at", FormatUnix(token.last_used_at_unix()));
  StringOrNull(json, "last_used_from", token.last_used_from());
  json.EndObject();
}

std::string LimitText(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return values.empty() ? "any" : absl::StrJoin(values, ",");
}

std::string RedactTokens(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  std::string out;
  size_t from = 0;
  while (true) {
    const size_t start = absl::string_view(lower).find(kTokenPrefix, from);
    if (start == absl::string_view::npos) break;
    size_t end = start + kTokenPrefix.size();
    while (end < text.size() && IsTokenChar(text[end])) ++end;
    absl::StrAppend(&out, text.substr(from, start - from), kTokenPrefix, "<redacted>");
    from = end;
  }
  absl::StrAppend(&out, text.substr(from));
  return out;
}

}  // namespace tokengate::cli
