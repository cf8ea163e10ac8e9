// An INVALID_ARGUMENT that names the bad field and a machine-readable code
// (pydantic's words: "date_future", "less_than_equal", …), so the REST edge can
// build docs/design.md §6's 422 details; and NOT_FOUND / ALREADY_EXISTS that name the
// entity, field and value, for Data.Rentgen's 404/409 details. Carried as
// absl::Status payloads inside a process and as gRPC trailing metadata
// between processes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokengate {

inline constexpr absl::string_view kFieldPayload = "tokengate.field";
inline constexpr absl::string_view kCodePayload = "tokengate.code";
inline constexpr char kFieldMetadata[] = "tokengate-field";
inline constexpr char kCodeMetadata[] = "tokengate-code";
// The code of an UNAVAILABLE that comes from the database, not the service.
inline constexpr absl::string_view kDatabaseUnavailableCode = "database_unavailable";
inline constexpr absl::string_view kContextPayload = "tokengate.context";
inline constexpr char kContextMetadata[] = "tokengate-context-bin";  // pydantic's ctx, as JSON.
// The codes of a RESOURCE_EXHAUSTED: a cap that holds until something is
// given back (REST 409), and a rate limit that passes with time (REST 429).
inline constexpr absl::string_view kTooManyTokensCode = "too_many_tokens";
inline constexpr absl::string_view kTooManyRequestsCode = "too_many_requests";
// Seconds to wait before trying again (a rate limit's RESOURCE_EXHAUSTED).
inline constexpr absl::string_view kRetryAfterPayload = "tokengate.retry_after";
inline constexpr char kRetryAfterMetadata[] = "tokengate-retry-after";
inline constexpr absl::string_view kEntityPayload = "tokengate.entity";
inline constexpr absl::string_view kValuePayload = "tokengate.value";
inline constexpr char kEntityMetadata[] = "tokengate-entity";
// A "-bin" key: a value (a token name) may be any UTF-8.
inline constexpr char kValueMetadata[] = "tokengate-value-bin";

// One entry of a 422's details, as pydantic reports it: where (e.g.
// ["body", "name"], plus an item index for a list), a machine code
// ("missing", "string_too_long", …) and a message; context and input are raw
// JSON, written as {} and null when empty (Data.Rentgen always has both).
// The one shape of a field error in a process (http2kafka's event checks, the
// api's request parsing); between processes it travels as an
// INVALID_ARGUMENT made by InvalidField, turned back by IssueOf (error_body.h).
struct FieldIssue {
  std::vector<std::string> location;
  std::string code;
  std::string message;
  std::string context_json;
  std::string input_json;
  std::optional<int> location_index;
};

inline absl::Status InvalidField(absl::string_view field, absl::string_view code, absl::string_view message,
                                 absl::string_view context_json = "") {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kFieldPayload, absl::Cord(field));
  status.SetPayload(kCodePayload, absl::Cord(code));
  if (!context_json.empty()) status.SetPayload(kContextPayload, absl::Cord(context_json));
  return status;
}

// Python's repr() of a str, as Data.Rentgen's messages quote values:
// single quotes unless the text holds one and no double quote.
inline std::string PythonRepr(absl::string_view text) {
  const bool doubled =
      text.find('\'') != absl::string_view::npos && text.find('"') == absl::string_view::npos;
  const char quote = doubled ? '"' : '\'';
  std::string out(1, quote);
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == quote) out += '\\';
        out += c;
    }
  }
  out += quote;
  return out;
}

// "<entity> with <field>='<value>' not found" / "… already exists", as
// Data.Rentgen words them, with the parts kept for the REST details.
inline absl::Status EntityError(absl::StatusCode code, absl::string_view entity, absl::string_view field,
                                absl::string_view value) {
  absl::Status status(code, std::string(entity) + " with " + std::string(field) + "=" + PythonRepr(value) +
                                (code == absl::StatusCode::kNotFound ? " not found" : " already exists"));
  status.SetPayload(kEntityPayload, absl::Cord(entity));
  status.SetPayload(kFieldPayload, absl::Cord(field));
  status.SetPayload(kValuePayload, absl::Cord(value));
  return status;
}

inline std::optional<std::string> PayloadOf(const absl::Status& status, absl::string_view key) {
  auto payload = status.GetPayload(key);
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

}  // namespace tokengate
