#include "common/http/router.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/log.h"
#include "common/http/error_body.h"

namespace tokengate {
namespace {

constexpr char kUnmatchedRoute[] = "unmatched";

// Paths are short: no allocation on the request path.
using PathSegments = absl::InlinedVector<absl::string_view, 8>;

PathSegments SplitPath(absl::string_view path) { return absl::StrSplit(path, '/', absl::SkipEmpty()); }

// "/path?query#fragment" → {"/path", "query"} (clients send no fragment;
// one that does gets it ignored).
std::pair<absl::string_view, absl::string_view> SplitTarget(absl::string_view target) {
  const size_t question = target.find('?');
  if (question == absl::string_view::npos) return {target, absl::string_view()};
  absl::string_view query = target.substr(question + 1);
  return {target.substr(0, question), query.substr(0, query.find('#'))};
}

bool IsParam(absl::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

HttpRequest::HttpRequest(const FramedRequest& raw, HttpMethod method, const std::string& route,
                         UrlParams path_params, std::string request_id, absl::string_view peer_address)
    : raw_(raw),
      method_(method),
      route_(route),
      path_params_(std::move(path_params)),
      request_id_(std::move(request_id)),
      peer_address_(peer_address) {
  const auto [path, query] = SplitTarget(raw_.target());
  path_.assign(path.data(), path.size());
  query_ = ParseUrlEncoded(query);
}

std::string HttpRequest::PathParam(absl::string_view name) const {
  return FirstValue(path_params_, name).value_or("");
}

std::optional<std::string> HttpRequest::Header(absl::string_view name) const {
  auto value = raw_.FieldValue(name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

std::vector<absl::string_view> HttpRequest::HeaderValues(absl::string_view name) const {
  std::vector<absl::string_view> values;
  for (const FramedRequest::Field& field : raw_.fields) {
    if (absl::EqualsIgnoreCase(raw_.View(field.name), name)) values.push_back(raw_.View(field.value));
  }
  return values;
}

std::optional<std::string> HttpRequest::Cookie(absl::string_view name) const {
  // cookie-string = cookie-pair *( ";" SP cookie-pair ) (RFC 6265 §4.2.1).
  std::optional<std::string> found;
  for (const FramedRequest::Field& field : raw_.fields) {
    if (!absl::EqualsIgnoreCase(raw_.View(field.name), "cookie")) continue;
    for (absl::string_view pair : absl::StrSplit(raw_.View(field.value), ';')) {
      pair = absl::StripAsciiWhitespace(pair);
      const size_t eq = pair.find('=');
      if (eq != absl::string_view::npos && pair.substr(0, eq) == name) {
        found = std::string(pair.substr(eq + 1));
      }
    }
  }
  return found;
}

Router::Router(RouterOptions options) : options_(std::move(options)) {
  if (options_.metrics != nullptr) {
    requests_ = options_.metrics->AddCounter("tokengate_http_requests_total",
                                             "HTTP requests by route, method and status",
                                             {"route", "method", "status"});
    latency_ = options_.metrics->AddHistogram("tokengate_http_request_duration_seconds",
                                              "HTTP request handling time by route", {"route"},
                                              DefaultLatencyBoundsSeconds());
    unmatched_latency_ = latency_->WithLabels({kUnmatchedRoute});
  }
}

Responder::Responder(Responder&& other) : done_(std::exchange(other.done_, nullptr)) {}

Responder& Responder::operator=(Responder&& other) {
  if (this != &other) {
    if (done_) (*this)(InternalError());
    done_ = std::exchange(other.done_, nullptr);
  }
  return *this;
}

Responder::~Responder() {
  if (done_) (*this)(InternalError());
}

void Responder::operator()(HttpResponse response) {
  if (!done_) return;
  auto done = std::exchange(done_, nullptr);
  done(std::move(response));
}

Router::Route& Router::AddRoute(HttpMethod method, absl::string_view path_template) {
  Route route{.method = method, .path_template = std::string(path_template)};
  for (absl::string_view segment : SplitPath(path_template)) route.segments.emplace_back(segment);
  if (latency_ != nullptr) route.latency = latency_->WithLabels({route.path_template});
  route.counters = std::make_unique<StatusCounters>();
  for (auto& slot : *route.counters) slot.store(nullptr, std::memory_order_relaxed);
  routes_.push_back(std::move(route));
  return routes_.back();
}

void Router::Add(HttpMethod method, absl::string_view path_template, RouteHandler handler) {
  AddRoute(method, path_template).handler = std::move(handler);
}

void Router::AddAsync(HttpMethod method, absl::string_view path_template, AsyncRouteHandler handler,
                      size_t max_body_bytes, HeadCheck head_check) {
  Route& route = AddRoute(method, path_template);
  route.async_handler = std::move(handler);
  route.max_body_bytes = max_body_bytes;
  route.head_check = std::move(head_check);
}

size_t Router::BodyLimitOf(const Route& route) const {
  return route.max_body_bytes > 0 ? route.max_body_bytes : options_.max_body_bytes;
}

size_t Router::largest_body_limit() const {
  size_t largest = options_.max_body_bytes;
  for (const Route& route : routes_) largest = std::max(largest, route.max_body_bytes);
  return largest;
}

Router::Match Router::Find(std::optional<HttpMethod> method, absl::string_view path) const {
  const PathSegments segments = SplitPath(path);
  Match match;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    UrlParams params;
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i) {
      if (IsParam(route.segments[i])) {
        const std::string& s = route.segments[i];
        params.emplace_back(s.substr(1, s.size() - 2), PercentDecode(segments[i], false));
      } else {
        same = route.segments[i] == segments[i];
      }
    }
    if (!same) continue;
    if (route.method == method) {
      match.route = &route;
      match.params = std::move(params);
      return match;
    }
    match.allowed.push_back(std::string(HttpMethodName(route.method)));
    // HEAD is served wherever GET is (see Dispatch).
    if (route.method == HttpMethod::kGet) match.allowed.push_back("HEAD");
  }
  return match;
}

void Router::Record(const Route* route, absl::string_view method, int status, double seconds) const {
  if (requests_ == nullptr) return;
  auto lookup = [&] {
    return requests_->WithLabels({route != nullptr ? route->path_template : kUnmatchedRoute,
                                  std::string(method), absl::StrCat(status)});
  };
  Counter* counter = nullptr;
  if (route != nullptr && status >= 0 && status < static_cast<int>(route->counters->size())) {
    std::atomic<Counter*>& slot = (*route->counters)[status];
    counter = slot.load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = lookup();
      slot.store(counter, std::memory_order_release);
    }
  } else {
    counter = lookup();
  }
  counter->Increment();
  Histogram* latency = route != nullptr ? route->latency : unmatched_latency_;
  if (latency != nullptr) latency->Observe(seconds);
}

void Router::Dispatch(const FramedRequest& request, const std::string& request_id, Responder respond,
                      absl::string_view peer_address) const {
  ++in_flight_;
  const std::optional<HttpMethod> request_method = ParseHttpMethod(request.method());
  // HEAD is GET without the body (RFC 9110 §9.3.2); the server drops the body.
  const std::optional<HttpMethod> method =
      request_method == HttpMethod::kHead ? HttpMethod::kGet : request_method;
  const absl::string_view path = SplitTarget(request.target()).first;
  Match match = Find(method, path);
  const Route* route = match.route;
  Responder finish([this, route, method_name = std::string(request.method()),
                    start = std::chrono::steady_clock::now(),
                    respond = std::move(respond)](HttpResponse response) mutable {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Record(route, method_name, response.status, seconds);
    --in_flight_;
    respond(std::move(response));
  });
  if (route == nullptr) {
    finish(match.allowed.empty() ? NotFound("Not found", std::string(path))
                                 : MethodNotAllowed(match.allowed));
    return;
  }
  const size_t limit = BodyLimitOf(*route);
  if (request.body.size() > limit) {
    finish(RequestTooLarge(absl::StrCat("Request body is larger than ", limit, " bytes")));
    return;
  }
  HttpRequest view(request, *request_method, route->path_template, std::move(match.params), request_id,
                   peer_address);
  try {
    if (route->async_handler) {
      route->async_handler(view, std::move(finish));
    } else {
      finish(route->handler(view));
    }
  } catch (const std::exception& e) {
    TG_LOG(Error) << "request_id=" << request_id << " " << route->path_template << " failed: " << e.what();
    finish(InternalError());
  }
}

std::optional<HttpResponse> Router::CheckHead(const FramedRequest& head,
                                              std::optional<size_t> declared_body_bytes,
                                              const std::string& request_id,
                                              absl::string_view peer_address) const {
  const std::optional<HttpMethod> method = ParseHttpMethod(head.method());
  Match match = Find(method, SplitTarget(head.target()).first);
  const Route* route = match.route;
  if (route == nullptr) return std::nullopt;
  std::optional<HttpResponse> refusal;
  const size_t limit = BodyLimitOf(*route);
  if (declared_body_bytes && *declared_body_bytes > limit) {
    refusal = RequestTooLarge(absl::StrCat("Request body is larger than ", limit, " bytes"));
  } else if (route->head_check) {
    HttpRequest view(head, *method, route->path_template, std::move(match.params), request_id, peer_address);
    try {
      refusal = route->head_check(view);
    } catch (const std::exception& e) {
      TG_LOG(Error) << "request_id=" << request_id << " " << route->path_template
                    << " head check failed: " << e.what();
      refusal = InternalError();
    }
  }
  if (refusal) Record(route, head.method(), refusal->status, 0);
  return refusal;
}

}  // namespace tokengate
