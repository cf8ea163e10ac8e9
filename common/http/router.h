// Routes HTTP requests to handlers by method and path template ("/v1/x/{id}")
// and wraps every request the same way: body size limit (413), unknown route
// (404) and wrong method (405 with Allow) as JSON errors, exceptions caught
// (500), and per-route metrics. A route may also check a request's head
// before its body is read (HeadCheck), so a refusal costs no body buffering. A route answers at once
// (RouteHandler) or later from any thread (AsyncRouteHandler, e.g. from Kafka's delivery callback); handlers
// never see Pistache's writer. The HttpServer feeds it framed requests.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "common/base/metrics.h"
#include "common/http/http_method.h"
#include "common/http/request_framer.h"
#include "common/http/response.h"
#include "common/http/url_encoded.h"

namespace tokengate {

// A request as handlers see it: a view of the framer's parse.
class HttpRequest {
 public:
  // `route` is the matched route's template; it outlives the request.
  // `peer_address` (the TCP peer's IP) must outlive the request too.
  HttpRequest(const FramedRequest& raw, HttpMethod method, const std::string& route, UrlParams path_params,
              std::string request_id, absl::string_view peer_address = "");

  HttpMethod method() const { return method_; }
  // The target's path, still percent-encoded.
  const std::string& path() const { return path_; }
  // The matched template, e.g. "/v1/personal-tokens/{id}".
  const std::string& route() const { return route_; }
  const std::string& request_id() const { return request_id_; }
  // The TCP peer's IP address (a proxy's, behind one: see client_address.h).
  absl::string_view peer_address() const { return peer_address_; }
  const std::string& body() const { return raw_.body; }
  // A path parameter by name ("" when the template has none of that name).
  std::string PathParam(absl::string_view name) const;
  // Query parameters, decoded, every value in the order sent.
  const UrlParams& query() const { return query_; }
  // A request header by name (case-insensitive; the first of repeats), or nullopt.
  std::optional<std::string> Header(absl::string_view name) const;
  // Every field of that name, in the order received (for list-valued fields).
  std::vector<absl::string_view> HeaderValues(absl::string_view name) const;
  // A cookie by name from the Cookie header(s) (the last of repeats), or nullopt.
  std::optional<std::string> Cookie(absl::string_view name) const;

 private:
  const FramedRequest& raw_;
  HttpMethod method_;
  std::string path_;
  const std::string& route_;
  UrlParams path_params_;
  UrlParams query_;
  std::string request_id_;
  absl::string_view peer_address_;
};

// The one answer to a request: call it exactly once, from any thread. A
// Responder dropped without an answer answers 500, so no client waits forever.
class Responder {
 public:
  Responder() = default;
  explicit Responder(absl::AnyInvocable<void(HttpResponse)> done) : done_(std::move(done)) {}
  Responder(Responder&& other);
  Responder& operator=(Responder&& other);
  ~Responder();

  void operator()(HttpResponse response);

 private:
  absl::AnyInvocable<void(HttpResponse)> done_;
};

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;
// The request is valid only during the call; keep what is needed later.
using AsyncRouteHandler = std::function<void(const HttpRequest&, Responder)>;
// Runs once a request's head is complete and its body is still to come (the
// request's body() is empty): an answer refuses the request before any of
// the body is buffered, and the server closes the connection after it;
// nullopt lets the body come. The handler still sees the whole request.
using HeadCheck = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

struct RouterOptions {
  // Bodies above this get 413 (Pistache's own limit must be larger, so the
  // client sees our JSON rather than Pistache's plain text).
  size_t max_body_bytes = 1 << 20;
  // Requests/latency by route; null: no metrics.
  MetricsRegistry* metrics = nullptr;
};

class Router {
 public:
  explicit Router(RouterOptions options);

  // Templates are literal segments and "{name}" segments (one segment each).
  void Add(HttpMethod method, absl::string_view path_template, RouteHandler handler);
  // A route that answers through its Responder; `max_body_bytes` 0 means the
  // router's limit.
  void AddAsync(HttpMethod method, absl::string_view path_template, AsyncRouteHandler handler,
                size_t max_body_bytes = 0, HeadCheck head_check = nullptr);

  // The full pipeline for one request; `respond` gets the answer (at once
  // unless the route is asynchronous).
  void Dispatch(const FramedRequest& request, const std::string& request_id, Responder respond,
                absl::string_view peer_address = "") const;
  // For a head whose body is still to come: the route's own body limit
  // against Content-Length (413), then the route's HeadCheck. nullopt: read
  // the body. Unknown routes and methods pass (their answer needs no body).
  std::optional<HttpResponse> CheckHead(const FramedRequest& head, std::optional<size_t> declared_body_bytes,
                                        const std::string& request_id,
                                        absl::string_view peer_address = "") const;

  // The largest body any route accepts (the server's framing limit).
  size_t largest_body_limit() const;
  // Requests handed to a route and not yet answered (for draining at shutdown).
  int in_flight() const { return in_flight_.load(); }

 private:
  // Request counters of one route, by status code, filled on first use so
  // the hot path neither allocates nor locks.
  using StatusCounters = std::array<std::atomic<Counter*>, 600>;
  struct Route {
    HttpMethod method;
    std::string path_template;
    std::vector<std::string> segments;
    RouteHandler handler;
    AsyncRouteHandler async_handler;
    HeadCheck head_check;
    size_t max_body_bytes = 0;
    Histogram* latency = nullptr;
    std::unique_ptr<StatusCounters> counters;
  };
  struct Match {
    const Route* route = nullptr;
    UrlParams params;
    std::vector<std::string> allowed;  // Methods of routes whose path matched.
  };
  // `method` nullopt: a method no route can serve (QUERY, WebDAV's).
  Match Find(std::optional<HttpMethod> method, absl::string_view path) const;
  Route& AddRoute(HttpMethod method, absl::string_view path_template);
  size_t BodyLimitOf(const Route& route) const;
  void Record(const Route* route, absl::string_view method, int status, double seconds) const;

  const RouterOptions options_;
  std::vector<Route> routes_;
  CounterFamily* requests_ = nullptr;
  HistogramFamily* latency_ = nullptr;
  Histogram* unmatched_latency_ = nullptr;
  mutable std::atomic<int> in_flight_{0};
};

}  // namespace tokengate
