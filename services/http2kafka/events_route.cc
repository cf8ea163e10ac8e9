#include "services/http2kafka/events_route.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/field_error.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/http/credentials.h"
#include "common/http/error_body.h"
#include "services/http2kafka/event_validator.h"
#include "services/http2kafka/gzip_inflater.h"

namespace tokengate {
namespace {

constexpr absl::string_view kPersonalTokenPrefix = "personal_token_";

enum class Encoding { kIdentity, kGzip, kUnsupported };

// "gzip", "x-gzip", "identity" or a list of them with at most one gzip.
Encoding EncodingOf(const std::optional<std::string>& header) {
  if (!header) return Encoding::kIdentity;
  Encoding result = Encoding::kIdentity;
  for (absl::string_view coding : absl::StrSplit(*header, ',')) {
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(coding));
    if (name.empty() || name == "identity") continue;
    if ((name == "gzip" || name == "x-gzip") && result == Encoding::kIdentity) {
      result = Encoding::kGzip;
    } else {
      return Encoding::kUnsupported;
    }
  }
  return result;
}

// No Content-Type is taken as JSON (FastAPI does the same); otherwise it must
// be application/json or a +json type, with any parameters (charset=UTF-8).
bool IsJsonContentType(const std::optional<std::string>& header) {
  if (!header) return true;
  const std::vector<absl::string_view> parts = absl::StrSplit(*header, absl::MaxSplits(';', 1));
  const std::string media = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
  return media == "application/json" ||
         (absl::StartsWith(media, "application/") && absl::EndsWith(media, "+json"));
}

HttpResponse UnsupportedMediaType(absl::string_view content_type) {
  return HttpResponse::Json(415, ErrorJson("unsupported_media_type", "Content-Type must be application/json",
                                           DetailsText(std::string(content_type))));
}

// At most the first 255 bytes of a client's namespace, cut at a character
// boundary: enough to name it in an answer or a log line, however long it is.
absl::string_view Shown(absl::string_view name) {
  constexpr size_t kMaxShownBytes = 255;
  if (name.size() <= kMaxShownBytes) return name;
  size_t end = kMaxShownBytes;
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) --end;
  return name.substr(0, end);
}

}  // namespace

// One request between its arrival and its answer on the wire.
struct EventsRoute::Pending {
  Responder respond;
  std::string request_id;
  absl::Time start;
};

EventsRoute::EventsRoute(EventsRouteOptions options, VerifyCache* verify_cache, KafkaPublisher* publisher,
                         IngestMetrics* metrics)
    : options_(std::move(options)), verify_cache_(verify_cache), publisher_(publisher), metrics_(metrics) {}

HttpResponse EventsRoute::Reject(Rejection reason, HttpResponse response) {
  metrics_->Rejected(reason);
  return response;
}

std::variant<Principal, HttpResponse> EventsRoute::Authenticate(const HttpRequest& request) {
  if (!accepting_) {
    return Reject(Rejection::kShuttingDown,
                  ServiceUnavailable("The service is shutting down, retry later", options_.retry_after));
  }
  // As Data.Rentgen: no bearer token at all is a missing header; any other
  // bearer token than a personal one is "an access token".
  const std::optional<std::string> authorization = request.Header("Authorization");
  const std::optional<absl::string_view> token = authorization ? BearerToken(*authorization) : std::nullopt;
  if (!token) return Reject(Rejection::kUnauthorized, Unauthorized(kMissingAuthorization));
  if (!absl::StartsWith(*token, kPersonalTokenPrefix)) {
    return Reject(Rejection::kUnauthorized,
                  Unauthorized("Invalid token", std::string(kPersonalTokenExpected)));
  }
  VerifyResult verified = verify_cache_->Verify(*token, [&] {
    return VerifyOrigin{.client_address = ClientAddressOf(request, options_.trusted_proxies),
                        .user_agent = UserAgentOf(request)};
  });
  if (verified.outcome == VerifyOutcome::kInvalid) {
    return Reject(Rejection::kUnauthorized, RefusedPersonalToken(verified.reason));
  }
  if (verified.outcome == VerifyOutcome::kUnavailable) {
    return Reject(Rejection::kAuthorityUnavailable,
                  ServiceUnavailable(UnavailableMessage(verified), options_.retry_after));
  }
  if (!verified.principal.HasScope(kWriteScope)) {
    TG_LOG(Info) << "request_id=" << request.request_id() << " token_id=" << verified.principal.token_id
                 << " lacks " << kWriteScope;
    return Reject(Rejection::kForbidden,
                  Forbidden("Forbidden", absl::StrCat("The token has no '", kWriteScope, "' scope")));
  }
  // The address is worked out only for a token bound to networks: the others pay nothing.
  if (verified.principal.limits.limits_networks() &&
      !verified.principal.limits.AllowsAddress(ClientAddressOf(request, options_.trusted_proxies))) {
    TG_LOG(Info) << "request_id=" << request.request_id() << " token_id=" << verified.principal.token_id
                 << " used from outside its networks";
    return Reject(Rejection::kForbidden, Forbidden(kAddressNotAllowed));
  }
  return std::move(verified.principal);
}

std::variant<KafkaMessage, HttpResponse> EventsRoute::Prepare(const HttpRequest& request) {
  const std::string& request_id = request.request_id();
  std::variant<Principal, HttpResponse> authenticated = Authenticate(request);
  if (auto* error = std::get_if<HttpResponse>(&authenticated)) return std::move(*error);
  const Principal& principal = std::get<Principal>(authenticated);

  const std::optional<std::string> content_encoding = request.Header("Content-Encoding");
  const Encoding encoding = EncodingOf(content_encoding);
  if (encoding == Encoding::kUnsupported) {
    return Reject(Rejection::kUnsupportedEncoding,
                  BadRequest(absl::StrCat("Unsupported Content-Encoding: ", *content_encoding)));
  }
  const std::optional<std::string> content_type = request.Header("Content-Type");
  if (!IsJsonContentType(content_type)) {
    return Reject(Rejection::kUnsupportedMediaType, UnsupportedMediaType(*content_type));
  }

  const std::string too_large = absl::StrCat("The event is larger than ", options_.max_body_bytes, " bytes");
  std::string json;
  if (encoding == Encoding::kGzip) {
    auto inflated = InflateGzip(request.body(), options_.max_body_bytes, simdjson::SIMDJSON_PADDING);
    if (inflated.status().code() == absl::StatusCode::kResourceExhausted) {
      return Reject(Rejection::kTooLarge, RequestTooLarge(too_large));
    }
    if (!inflated.ok()) {
      return Reject(Rejection::kInvalidGzip,
                    InvalidRequest({FieldIssue{.location = {"body"},
                                               .code = "gzip_invalid",
                                               .message = std::string(inflated.status().message()),
                                               .context_json = "{}",
                                               .input_json = "null"}}));
    }
    json = *std::move(inflated);
  } else {
    if (request.body().size() > options_.max_body_bytes) {
      return Reject(Rejection::kTooLarge, RequestTooLarge(too_large));
    }
    // Room for simdjson's padding, so the check below parses without a copy.
    json.reserve(request.body().size() + simdjson::SIMDJSON_PADDING);
    json.assign(request.body());
  }

  thread_local EventValidator validator;
  EventCheck check = validator.Check(json);
  if (!check.ok()) {
    return Reject(Rejection::kInvalidEvent, InvalidRequest(std::move(check.errors)));
  }
  if (!principal.limits.AllowsNamespace(check.job_namespace)) {
    TG_LOG(Info) << "request_id=" << request_id << " token_id=" << principal.token_id
                 << " may not write namespace " << EscapeControlCharacters(Shown(check.job_namespace));
    return Reject(Rejection::kForbidden, Forbidden(absl::StrCat("Token not allowed to write namespace ",
                                                                PythonRepr(Shown(check.job_namespace)))));
  }
  return KafkaMessage{.value = std::move(json),
                      .key = std::move(check.kafka_key),
                      .timestamp_ms = check.timestamp_ms,
                      .headers = {{"content-type", "application/json"},
                                  {"correlation_id", request_id},
                                  {"reported-by-user-name", principal.user_name}}};
}

HttpResponse EventsRoute::AnswerToDelivery(const DeliveryReport& report, const std::string& request_id) {
  metrics_->Delivered(report);
  if (report.status.ok()) {
    metrics_->Accepted();
    return HttpResponse{.status = 201};
  }
  TG_LOG(Warning) << "request_id=" << request_id << " not delivered: " << report.status.message();
  if (report.status.code() == absl::StatusCode::kResourceExhausted) {
    return Reject(Rejection::kTooLarge, RequestTooLarge(report.status.message()));
  }
  return Reject(Rejection::kKafkaUnavailable,
                ServiceUnavailable("Kafka is unavailable, retry later", options_.retry_after));
}

void EventsRoute::Answer(Pending& pending, const HttpResponse& response) {
  metrics_->Answered(response.status, absl::Now() - pending.start);
  pending.respond(response);
}

void EventsRoute::AddTo(Router& router) {
  router.AddAsync(
      HttpMethod::kPost, kEventsPath,
      [this](const HttpRequest& request, Responder respond) { Handle(request, std::move(respond)); },
      options_.max_body_bytes,
      [this](const HttpRequest& head) -> std::optional<HttpResponse> {
        const absl::Time start = absl::Now();
        std::variant<Principal, HttpResponse> authenticated = Authenticate(head);
        auto* refusal = std::get_if<HttpResponse>(&authenticated);
        if (refusal == nullptr) return std::nullopt;
        metrics_->Answered(refusal->status, absl::Now() - start);
        return std::move(*refusal);
      });
}

void EventsRoute::Handle(const HttpRequest& request, Responder respond) {
  const std::string& request_id = request.request_id();
  auto pending = std::make_shared<Pending>(
      Pending{.respond = std::move(respond), .request_id = request_id, .start = absl::Now()});
  std::variant<KafkaMessage, HttpResponse> prepared = Prepare(request);
  if (auto* error = std::get_if<HttpResponse>(&prepared)) {
    Answer(*pending, *error);
    return;
  }
  KafkaMessage& message = std::get<KafkaMessage>(prepared);
  absl::Status enqueued;
  if (options_.delivery_mode == DeliveryMode::kDurable) {
    enqueued = publisher_->Publish(std::move(message), [this, pending](const DeliveryReport& report) {
      Answer(*pending, AnswerToDelivery(report, pending->request_id));
    });
  } else {
    enqueued = publisher_->Publish(
        std::move(message), [this, request_id = request_id](const DeliveryReport& report) {
          metrics_->Delivered(report);
          if (!report.status.ok()) {
            TG_LOG(Error) << "request_id=" << request_id
                          << " answered 201 but lost (fire-and-forget): " << report.status.message();
          }
        });
    if (enqueued.ok()) {
      metrics_->Accepted();
      Answer(*pending, HttpResponse{.status = 201});
      return;
    }
  }
  if (enqueued.ok()) return;  // The delivery callback answers.
  TG_LOG(Debug) << "request_id=" << request_id << " not enqueued: " << enqueued.message();
  Answer(*pending,
         enqueued.code() == absl::StatusCode::kResourceExhausted
             ? Reject(Rejection::kTooLarge, RequestTooLarge(enqueued.message()))
             : Reject(Rejection::kKafkaUnavailable,
                      ServiceUnavailable("Kafka is unavailable, retry later", options_.retry_after)));
}

}  // namespace tokengate
