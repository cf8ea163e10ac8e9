// POST /v1/openlineage: personal token (all:write and the token's networks,
// checked on the head before the body is read) → Content-Encoding and
// Content-Type → gzip inflate within the size limit → RunEvent checks → the
// token's namespaces (job.namespace from the same parse) → Kafka.
// An asynchronous route of the shared HttpServer: in durable mode the
// Responder travels with the Kafka message and answers from the delivery
// thread, so reactor threads never wait for Kafka, and 201 means the broker
// has the event. Errors follow docs/design.md §6.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <variant>

#include "absl/time/time.h"
#include "common/http/client_address.h"
#include "common/http/response.h"
#include "common/http/router.h"
#include "common/verify/verify_cache.h"
#include "services/http2kafka/http2kafka_config.h"
#include "services/http2kafka/ingest_metrics.h"
#include "services/http2kafka/kafka_publisher.h"

namespace tokengate {

inline constexpr char kEventsPath[] = "/v1/openlineage";

struct EventsRouteOptions {
  size_t max_body_bytes = 10 << 20;
  DeliveryMode delivery_mode = DeliveryMode::kDurable;
  absl::Duration retry_after = absl::Seconds(2);
  TrustedProxies trusted_proxies;  // For the client address sent with VerifyToken.
};

class EventsRoute {
 public:
  EventsRoute(EventsRouteOptions options, VerifyCache* verify_cache, KafkaPublisher* publisher,
              IngestMetrics* metrics);

  // Answers now (errors, fire-and-forget) or once Kafka has decided (durable).
  void Handle(const HttpRequest& request, Responder respond);
  // Adds POST kEventsPath to `router`; `this` must outlive it.
  void AddTo(Router& router);

  // From now on new events get 503 + Retry-After (the process is stopping).
  void StopAccepting() { accepting_ = false; }

 private:
  struct Pending;

  // Who sends the request, from its head alone (the route's HeadCheck runs it
  // before the body is read, so an unauthenticated client never makes the
  // server buffer a body), or the error to answer with.
  std::variant<Principal, HttpResponse> Authenticate(const HttpRequest& request);
  // The Kafka message for the request, or the error to answer with.
  std::variant<KafkaMessage, HttpResponse> Prepare(const HttpRequest& request);
  HttpResponse Reject(Rejection reason, HttpResponse response);
  HttpResponse AnswerToDelivery(const DeliveryReport& report, const std::string& request_id);
  void Answer(Pending& pending, const HttpResponse& response);

  const EventsRouteOptions options_;
  VerifyCache* verify_cache_;
  KafkaPublisher* publisher_;
  IngestMetrics* metrics_;
  std::atomic<bool> accepting_{true};
};

}  // namespace tokengate
