// docs/design.md §6's error bodies, one builder per kind:
// {"error": {"code": "...", "message": "...", "details": ...}}. Each builder
// also sets the headers its status needs (WWW-Authenticate on 401,
// Retry-After on 429 and 503, Allow on 405). Never put token content in a message.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/field_error.h"
#include "common/http/response.h"

namespace tokengate {

// The entry for an INVALID_ARGUMENT made by InvalidField (field_error.h):
// its code, message and context, at `location`, with the client's input (raw JSON).
FieldIssue IssueOf(const absl::Status& invalid, std::vector<std::string> location, std::string input_json);

// The error JSON; `details_json` is raw JSON ("null" when empty).
std::string ErrorJson(absl::string_view code, absl::string_view message, absl::string_view details_json);
// `text` as a JSON string, or null.
std::string DetailsText(const std::optional<std::string>& text);

HttpResponse BadRequest(absl::string_view message, std::optional<std::string> details = {});
HttpResponse Unauthorized(absl::string_view message, std::optional<std::string> details = {});
HttpResponse Forbidden(absl::string_view message, std::optional<std::string> details = {});
// 401 for a personal token the authority refused, as Data.Rentgen words it:
// "Invalid token" with the reason as details, except that switched-off
// personal tokens are the message itself (details null).
HttpResponse RefusedPersonalToken(absl::string_view reason);
HttpResponse NotFound(absl::string_view message, std::optional<std::string> details = {});
HttpResponse MethodNotAllowed(const std::vector<std::string>& allowed);
HttpResponse Conflict(absl::string_view message, std::optional<std::string> details = {});
// 404 / 409 whose details are a JSON object (Data.Rentgen's {entity_type, field, value}).
HttpResponse NotFoundWithDetails(absl::string_view message, absl::string_view details_json);
HttpResponse ConflictWithDetails(absl::string_view message, absl::string_view details_json);
HttpResponse RequestTooLarge(absl::string_view message);
HttpResponse InvalidRequest(const std::vector<FieldIssue>& issues);
HttpResponse InternalError();
// A rate limit: 429 too_many_requests with Retry-After (whole seconds, at least 1).
HttpResponse TooManyRequests(absl::string_view message, absl::Duration retry_after);
// Fail-closed answer when a dependency cannot be asked; the client should retry.
HttpResponse ServiceUnavailable(absl::string_view message, absl::Duration retry_after,
                                std::optional<std::string> details = {});

}  // namespace tokengate
