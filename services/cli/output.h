// Output building blocks shared by the commands: aligned text tables for
// people, the JSON shapes of tokens and audit events for scripts (field names
// are part of the documented interface), timestamps, and the redaction every
// error line goes through. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/json_writer.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate::cli {

// Columns padded to their widest cell, two spaces apart; the last column is
// not padded, so no line ends in blanks.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// RFC 3339 in UTC ("2026-11-28T20:45:00Z"); "" for 0 (never).
std::string FormatUnix(int64_t unix_seconds);
std::string FormatUnixMs(int64_t unix_ms);

// "active", "revoked" or "expired" (its `until` day is over at `now`).
std::string TokenState(const v1::PersonalToken& token, absl::Time now);

// {"id","name","user_name","scopes","namespaces","networks","since","until",
//  "state","revoked_at","last_used_at","last_used_from"}; absent times and
//  addresses are null; no namespace or network limit is an empty list.
void WriteTokenJson(JsonWriter& json, const v1::PersonalToken& token, absl::Time now);
// A list of strings (scopes, token ids) as a JSON array.
void StringArray(JsonWriter& json, absl::string_view key,
                 const google::protobuf::RepeatedPtrField<std::string>& values);
// A token's namespace or network limit for a table cell: comma-separated, or
// "any" when there is none.
std::string LimitText(const google::protobuf::RepeatedPtrField<std::string>& values);
// A string, or null when empty.
void StringOrNull(JsonWriter& json, absl::string_view key, absl::string_view value);

// Every "personal_token_…" in `text` cut down to "personal_token_<redacted>":
// error lines must never carry token content, whoever wrote them.
std::string RedactTokens(absl::string_view text);

}  // namespace tokengate::cli
