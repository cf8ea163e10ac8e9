#include "services/api/tokens/authority_errors.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/base/field_error.h"
#include "common/base/json_writer.h"
#include "common/base/log.h"
#include "common/http/error_body.h"

namespace tokengate {
namespace {

std::string TrailingValue(const grpc::ClientContext& context, const char* key) {
  const auto& metadata = context.GetServerTrailingMetadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// Data.Rentgen's 404/409 details, when the authority named the entity.
std::optional<std::string> EntityDetails(const grpc::ClientContext& context) {
  const std::string entity = TrailingValue(context, kEntityMetadata);
  if (entity.empty()) return std::nullopt;
  JsonWriter json;
  json.BeginObject();
  json.Field("entity_type", entity);
  json.Field("field", TrailingValue(context, kFieldMetadata));
  json.Field("value", TrailingValue(context, kValueMetadata));
  json.EndObject();
  return json.Take();
}

// Where the api's clients put what the authority calls `field`.
std::vector<std::string> LocationOf(const std::string& field) {
  if (field == "token_id") return {"path", "token_id"};
  if (field == "user_name") return {"path", "user_name"};  // Only the admin routes send one of a client's.
  if (field == "page" || field == "page_size") return {"query", field};
  return {"body", field};
}

}  // namespace

HttpResponse HttpErrorFromAuthority(const grpc::Status& status, const grpc::ClientContext& context,
                                    absl::Duration retry_after, const InputOf& input_json_of) {
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED: return Unauthorized("Invalid token", message);
    case grpc::StatusCode::PERMISSION_DENIED: return Forbidden(message);
    case grpc::StatusCode::FAILED_PRECONDITION:
      // Data.Rentgen's ActionNotAllowedError (e.g. personal tokens switched off).
      return Forbidden("Action not allowed", message);
    case grpc::StatusCode::NOT_FOUND:
      if (auto details = EntityDetails(context)) return NotFoundWithDetails(message, *details);
      return NotFound(message);
    case grpc::StatusCode::ALREADY_EXISTS:
      if (auto details = EntityDetails(context)) return ConflictWithDetails(message, *details);
      return Conflict(message);
    case grpc::StatusCode::RESOURCE_EXHAUSTED: {
      // A rate limit passes: 429, retry later. A cap on live tokens stays
      // until the owner revokes one: the request conflicts with the state of
      // their tokens (409), it is not malformed (422).
      if (TrailingValue(context, kCodeMetadata) == kTooManyRequestsCode) {
        int64_t seconds = 0;
        if (!absl::SimpleAtoi(TrailingValue(context, kRetryAfterMetadata), &seconds)) seconds = 1;
        return TooManyRequests(message, absl::Seconds(seconds));
      }
      return Conflict(message);
    }
    case grpc::StatusCode::INVALID_ARGUMENT: {
      const std::string field = TrailingValue(context, kFieldMetadata);
      const std::string code = TrailingValue(context, kCodeMetadata);
      return InvalidRequest(
          {FieldIssue{.location = field.empty() ? std::vector<std::string>{"body"} : LocationOf(field),
                      .code = code.empty() ? "value_error" : code,
                      .message = message,
                      .context_json = TrailingValue(context, kContextMetadata),
                      .input_json = input_json_of ? input_json_of(field) : ""}});
    }
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      if (TrailingValue(context, kCodeMetadata) == kDatabaseUnavailableCode) {
        TG_LOG(Warning) << "token authority answered: " << message;
        return ServiceUnavailable("The token database is unavailable, retry later", retry_after);
      }
      TG_LOG(Warning) << "token authority unreachable: " << message;
      return ServiceUnavailable("Token authority is unavailable, retry later", retry_after);
    default:
      TG_LOG(Error) << "token authority failed (" << static_cast<int>(status.error_code())
                    << "): " << message;
      return InternalError();
  }
}

}  // namespace tokengate
