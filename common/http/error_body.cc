#include "common/http/error_body.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/field_error.h"
#include "common/base/json_writer.h"
#include "common/http/credentials.h"

namespace tokengate {
namespace {

HttpResponse Error(int status, absl::string_view code, absl::string_view message,
                   const std::optional<std::string>& details) {
  return HttpResponse::Json(status, ErrorJson(code, message, DetailsText(details)));
}

// Whole seconds, rounded up, at least 1 (0 would invite an immediate retry).
int64_t RetryAfterSeconds(absl::Duration wait) {
  return std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))));
}

}  // namespace

std::string ErrorJson(absl::string_view code, absl::string_view message, absl::string_view details_json) {
  JsonWriter json;
  json.BeginObject();
  json.Key("error");
  json.BeginObject();
  json.Field("code", code);
  json.Field("message", message);
  json.Key("details");
  json.Raw(details_json.empty() ? "null" : details_json);
  json.EndObject();
  json.EndObject();
  return json.Take();
}

std::string DetailsText(const std::optional<std::string>& text) { return text ? JsonQuote(*text) : "null"; }

HttpResponse BadRequest(absl::string_view message, std::optional<std::string> details) {
  return Error(400, "bad_request", message, details);
}

HttpResponse Unauthorized(absl::string_view message, std::optional<std::string> details) {
  // RFC 6750 §3: a 401 names the scheme the client should use.
  return Error(401, "unauthorized", message, details).WithHeader("WWW-Authenticate", "Bearer");
}

HttpResponse Forbidden(absl::string_view message, std::optional<std::string> details) {
  return Error(403, "forbidden", message, details);
}

HttpResponse RefusedPersonalToken(absl::string_view reason) {
  if (reason == kPersonalTokensDisabled) return Unauthorized(reason);
  return Unauthorized("Invalid token", std::string(reason));
}

HttpResponse NotFound(absl::string_view message, std::optional<std::string> details) {
  return Error(404, "not_found", message, details);
}

HttpResponse MethodNotAllowed(const std::vector<std::string>& allowed) {
  return Error(405, "method_not_allowed", "Method not allowed", std::nullopt)
      .WithHeader("Allow", absl::StrJoin(allowed, ", "));
}

HttpResponse Conflict(absl::string_view message, std::optional<std::string> details) {
  return Error(409, "conflict", message, details);
}

HttpResponse NotFoundWithDetails(absl::string_view message, absl::string_view details_json) {
  return HttpResponse::Json(404, ErrorJson("not_found", message, details_json));
}

HttpResponse ConflictWithDetails(absl::string_view message, absl::string_view details_json) {
  return HttpResponse::Json(409, ErrorJson("conflict", message, details_json));
}

HttpResponse RequestTooLarge(absl::string_view message) {
  return Error(413, "request_too_large", message, std::nullopt);
}

FieldIssue IssueOf(const absl::Status& invalid, std::vector<std::string> location, std::string input_json) {
  return FieldIssue{.location = std::move(location),
                    .code = PayloadOf(invalid, kCodePayload).value_or("value_error"),
                    .message = std::string(invalid.message()),
                    .context_json = PayloadOf(invalid, kContextPayload).value_or(""),
                    .input_json = std::move(input_json)};
}

HttpResponse InvalidRequest(const std::vector<FieldIssue>& issues) {
  JsonWriter details;
  details.BeginArray();
  for (const auto& issue : issues) {
    details.BeginObject();
    details.Key("location");
    details.BeginArray();
    for (const auto& part : issue.location) details.String(part);
    if (issue.location_index) details.Int(*issue.location_index);
    details.EndArray();
    details.Field("code", issue.code);
    details.Field("message", issue.message);
    details.Key("context");
    details.Raw(issue.context_json.empty() ? "{}" : issue.context_json);
    details.Key("input");
    details.Raw(issue.input_json.empty() ? "null" : issue.input_json);
    details.EndObject();
  }
  details.EndArray();
  return HttpResponse::Json(422, ErrorJson("invalid_request", "Invalid request", details.str()));
}

HttpResponse InternalError() { return Error(500, "internal_error", "Internal server error", std::nullopt); }

HttpResponse TooManyRequests(absl::string_view message, absl::Duration retry_after) {
  return Error(429, "too_many_requests", message, std::nullopt)
      .WithHeader("Retry-After", absl::StrCat(RetryAfterSeconds(retry_after)));
}

HttpResponse ServiceUnavailable(absl::string_view message, absl::Duration retry_after,
                                std::optional<std::string> details) {
  return Error(503, "service_unavailable", message, details)
      .WithHeader("Retry-After", absl::StrCat(RetryAfterSeconds(retry_after)));
}

}  // namespace tokengate
