#include "common/http/http_server.h"

#include <pistache/peer.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/config.h"
#include "common/http/error_body.h"
#include "common/http/request_id.h"
#include "common/http/response_wire.h"
#include "common/log.h"
#include "common/signals.h"

namespace tokengate {
namespace {

using Clock = std::chrono::steady_clock;
using WritePromise = Pistache::Async::Promise<ssize_t>;

constexpr char kConnectionData[] = "tokengate.connection";
// After our last answer and FIN, how long the peer may take to close its side
// before we drop the socket (lingering close: unread bytes must not turn our
// answer into a reset).
constexpr auto kLinger = std::chrono::seconds(2);
// Pistache's own timeouts close sockets without telling the handler, which
// would break the invariant below; ours replace them.
constexpr auto kPistacheTimeoutsOff = std::chrono::hours(24 * 365 * 10);

Clock::duration ToClock(absl::Duration d) { return absl::ToChronoMilliseconds(d); }

// One request's place in the connection's answer order (RFC 9112 §9.3.2).
struct Slot {
  uint64_t seq;
  std::string request_id;
  bool http10 = false;
  bool head = false;  // A HEAD request: the answer goes without its body.
  bool close_after = false;
  bool ready = false;
  HttpResponse response;
};

// The framer admits only these methods (others are 501 before routing).
Pistache::Http::Method MethodOf(absl::string_view method) {
  using Pistache::Http::Method;
  if (method == "GET") return Method::Get;
  if (method == "POST") return Method::Post;
  if (method == "HEAD") return Method::Head;
  if (method == "PUT") return Method::Put;
  if (method == "DELETE") return Method::Delete;
  if (method == "PATCH") return Method::Patch;
  return Method::Options;
}

// The state of one TCP connection. Invariant that makes writing from any
// thread safe: Pistache closes a socket only after calling onDisconnection
// (its own timeouts are off), which sets `gone` under `mu`; so whoever holds
// `mu` and sees !gone may use `fd` and it is still this connection's socket.
// Answers are written with send() right there; what the socket does not take
// at once goes to Pistache's write queue, and while anything is queued there
// later answers queue behind it, so bytes leave in order.
struct Connection {
  explicit Connection(const FramerLimits& limits) : framer(limits) {}

  absl::Mutex mu;
  Pistache::Tcp::Transport* transport = nullptr;
  int fd = -1;
  std::string peer_address;  // Set before any input; read without `mu`.
  RequestFramer framer ABSL_GUARDED_BY(mu);
  std::deque<Slot> slots ABSL_GUARDED_BY(mu);
  uint64_t next_seq ABSL_GUARDED_BY(mu) = 0;
  int writes_pending ABSL_GUARDED_BY(mu) = 0;  // In Pistache's write queue.
  bool gone ABSL_GUARDED_BY(mu) = false;
  bool closing ABSL_GUARDED_BY(mu) = false;      // The last answer is decided.
  bool half_closed ABSL_GUARDED_BY(mu) = false;  // Our FIN is sent.
  bool dropped ABSL_GUARDED_BY(mu) = false;      // Both directions shut.
  Clock::time_point last_activity ABSL_GUARDED_BY(mu) = Clock::now();
  Clock::time_point request_start ABSL_GUARDED_BY(mu) = Clock::now();
  Clock::time_point close_deadline ABSL_GUARDED_BY(mu);
};

}  // namespace

struct HttpServer::Shared {
  HttpServerOptions options;
  Router* router = nullptr;
  FramerLimits limits;
  std::atomic<bool> draining{false};
  std::atomic<int> unwritten{0};  // Answers handed to Pistache, not yet on the wire.
  CounterFamily* rejected = nullptr;

  absl::Mutex registry_mu;
  absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> connections
      ABSL_GUARDED_BY(registry_mu);

  void Count(absl::string_view reason) {
    if (rejected != nullptr) rejected->WithLabels({std::string(reason)})->Increment();
  }

  uint64_t AddSlot(Connection& c, std::string request_id, bool http10, bool close_after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    const uint64_t seq = c.next_seq++;
    c.slots.push_back(Slot{.seq = seq,
                           .request_id = std::move(request_id),
                           .http10 = http10,
                           .close_after = close_after});
    if (close_after) c.closing = true;
    return seq;
  }

  // Writes every answer at the head of the order that is ready. The returned
  // promises get their continuations after `mu` is released, since Pistache
  // runs a continuation at once when the write has already finished.
  std::vector<std::pair<WritePromise, bool>> Flush(Connection& c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    std::vector<std::pair<WritePromise, bool>> writes;
    while (!c.slots.empty() && c.slots.front().ready) {
      Slot slot = std::move(c.slots.front());
      c.slots.pop_front();
      if (c.gone) continue;
      const bool close = slot.close_after || draining.load();
      if (close) {
        slot.response.WithHeader("Connection", "close");
        c.closing = true;
      } else if (slot.http10) {
        slot.response.WithHeader("Connection", "keep-alive");
      }
      if (!Write(c, SerializeResponse(slot.response, slot.request_id, !slot.head), close, writes)) break;
      if (close) {
        // Nothing after a closing answer is sent; later slots cannot exist
        // (closing stops reading), this only guards the invariant.
        c.slots.clear();
      }
    }
    return writes;
  }

  // Sends `bytes` after everything queued before it: at once when nothing is
  // queued, the rest through Pistache's write queue. False when the peer is
  // gone (the reactor sees it and cleans up).
  bool Write(Connection& c, std::string bytes, bool close, std::vector<std::pair<WritePromise, bool>>& writes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    size_t sent = 0;
    if (c.writes_pending == 0) {
      const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        ::shutdown(c.fd, SHUT_RDWR);
        c.dropped = true;
        c.closing = true;
        c.slots.clear();
        return false;
      }
      sent = n > 0 ? static_cast<size_t>(n) : 0;
    }
    if (sent == bytes.size()) {
      c.last_activity = Clock::now();
      if (close) HalfClose(c);
    } else {
      ++c.writes_pending;
      ++unwritten;
      const size_t rest = bytes.size() - sent;
      writes.emplace_back(
          c.transport->asyncWrite(c.fd, Pistache::RawBuffer(bytes.substr(sent), rest), MSG_NOSIGNAL), close);
    }
    return true;
  }

  void AfterWrites(const std::shared_ptr<Connection>& c,
                   std::vector<std::pair<WritePromise, bool>> writes) {
    for (auto& [promise, close] : writes) {
      const bool close_after = close;
      promise.then([this, c, close_after](ssize_t) { Written(*c, close_after); },
                   [this, c](std::exception_ptr) { Written(*c, true); });
    }
  }

  // After our last answer: FIN, then a lingering close (see kLinger).
  void HalfClose(Connection& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    if (c.half_closed) return;
    ::shutdown(c.fd, SHUT_WR);
    c.half_closed = true;
    c.close_deadline = Clock::now() + kLinger;
  }

  void Written(Connection& c, bool close) {
    absl::MutexLock lock(&c.mu);
    if (c.gone) return;
    --c.writes_pending;
    --unwritten;
    c.last_activity = Clock::now();
    if (close) HalfClose(c);
  }

  void Complete(const std::shared_ptr<Connection>& c, uint64_t seq, HttpResponse response,
                bool force_close = false) {
    std::vector<std::pair<WritePromise, bool>> writes;
    {
      absl::MutexLock lock(&c->mu);
      // No slot: the connection is gone or closed before this answer's turn.
      if (c->slots.empty() || seq < c->slots.front().seq ||
          seq - c->slots.front().seq >= c->slots.size()) {
        return;
      }
      Slot& slot = c->slots[seq - c->slots.front().seq];
      slot.response = std::move(response);
      slot.ready = true;
      if (force_close) slot.close_after = true;
      writes = Flush(*c);
    }
    AfterWrites(c, std::move(writes));
  }

  // Ends the connection with one error answer (queued after earlier answers).
  std::vector<std::pair<WritePromise, bool>> FailLocked(Connection& c, HttpResponse response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    AddSlot(c, NewRequestId(), false, true);
    Slot& slot = c.slots.back();
    slot.response = std::move(response);
    slot.ready = true;
    return Flush(c);
  }
};

namespace {

HttpResponse FramingErrorResponse(const FramingError& error) {
  switch (error.status) {
    case 413:
      return RequestTooLarge(error.message);
    case 400:
      return BadRequest(error.message);
    default:
      break;
  }
  const char* code = "bad_request";
  switch (error.status) {
    case 408: code = "request_timeout"; break;
    case 414: code = "uri_too_long"; break;
    case 431: code = "request_header_fields_too_large"; break;
    case 501: code = "not_implemented"; break;
    case 505: code = "http_version_not_supported"; break;
    default: break;
  }
  return HttpResponse::Json(error.status, ErrorJson(code, error.message, "null"));
}

// A framed request on its way to the Router, with its place in the answer order.
struct Work {
  uint64_t seq;
  Pistache::Http::Method method;
  std::string request_id;
  FramedRequest request;
};

class FramingHandler final : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(FramingHandler)

  explicit FramingHandler(std::shared_ptr<HttpServer::Shared> shared) : shared_(std::move(shared)) {}

  // Never called: onInput below hands requests to the Router instead.
  void onRequest(const Pistache::Http::Request&, Pistache::Http::ResponseWriter) override {}

  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto connection = std::make_shared<Connection>(shared_->limits);
    connection->transport = transport();
    connection->fd = peer->fd();
    connection->peer_address = peer->address().host();
    // Pistache's idle check reads a parser from every peer; it never parses
    // here (the framer's parse is the only one).
    peer->putData(ParserData, std::make_shared<Pistache::Http::RequestParser>(1));
    peer->putData(kConnectionData, connection);
    absl::MutexLock lock(&shared_->registry_mu);
    shared_->connections.emplace(connection.get(), connection);
  }

  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto connection = ConnectionOf(peer);
    if (connection == nullptr) return;
    {
      absl::MutexLock lock(&connection->mu);
      connection->gone = true;
      shared_->unwritten -= connection->writes_pending;
      connection->writes_pending = 0;
      connection->slots.clear();
    }
    absl::MutexLock lock(&shared_->registry_mu);
    shared_->connections.erase(connection.get());
  }

  void onInput(const char* buffer, size_t len,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto connection = ConnectionOf(peer);
    if (connection == nullptr) return;
    Connection& c = *connection;
    std::vector<Work> work;
    std::vector<std::pair<WritePromise, bool>> writes;
    {
      absl::MutexLock lock(&c.mu);
      if (c.closing || c.gone) return;  // Nothing after the last answer is read.
      const auto now = Clock::now();
      c.last_activity = now;
      bool fresh_request = !c.framer.mid_request();
      c.framer.Feed(absl::string_view(buffer, len));
      while (!c.closing) {
        FramedRequest request;
        FramingError error;
        const RequestFramer::Result result = c.framer.Next(&request, &error);
        if (result == RequestFramer::Result::kNeedMore) break;
        if (result == RequestFramer::Result::kError) {
          shared_->Count(error.reason);
          writes = shared_->FailLocked(c, FramingErrorResponse(error));
          break;
        }
        fresh_request = true;
        const bool close = !request.keep_alive || shared_->draining.load();
        const Pistache::Http::Method method = MethodOf(request.method());
        auto client_id = request.FieldValue(kRequestIdHeader);
        std::string request_id =
            RequestIdFrom(client_id ? std::optional<std::string>(*client_id) : std::nullopt);
        const uint64_t seq = shared_->AddSlot(c, request_id, request.http10, close);
        c.slots.back().head = method == Pistache::Http::Method::Head;
        work.push_back(Work{.seq = seq,
                            .method = method,
                            .request_id = std::move(request_id),
                            .request = std::move(request)});
      }
      if (fresh_request && c.framer.mid_request()) c.request_start = now;
      // Only when no earlier answer is still owed, so the interim answer
      // cannot overtake one; else the client sends its body after its own
      // wait (curl: 1 s).
      if (!c.closing && c.slots.empty() && c.framer.TakeContinue()) {
        shared_->Write(c, "HTTP/1.1 100 Continue\r\n\r\n", /*close=*/false, writes);
      }
    }
    shared_->AfterWrites(connection, std::move(writes));
    for (Work& item : work) Dispatch(connection, item);
  }

 private:
  static std::shared_ptr<Connection> ConnectionOf(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
    return std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionData));
  }

  void Dispatch(const std::shared_ptr<Connection>& connection, Work& work) {
    std::shared_ptr<HttpServer::Shared> shared = shared_;
    shared_->router->Dispatch(
        work.request, work.method, work.request_id,
        Responder([shared, connection, seq = work.seq](HttpResponse response) {
          shared->Complete(connection, seq, std::move(response));
        }),
        connection->peer_address);
  }

  std::shared_ptr<HttpServer::Shared> shared_;
};

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, Router* router)
    : options_(std::move(options)), router_(router), shared_(std::make_shared<Shared>()) {
  shared_->options = options_;
  shared_->router = router_;
  shared_->limits = options_.limits;
  shared_->limits.max_body_bytes = router_->largest_body_limit();
  if (options_.metrics != nullptr) {
    shared_->rejected = options_.metrics->AddCounter(
        "tokengate_http_rejected_total",
        "Requests refused before routing (framing errors, timeouts), by reason; each closed its connection",
        {"reason"});
  }
}

HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              Router* router) {
  auto host_port = ParseHostPort(options.listen);
  if (!host_port.ok()) return host_port.status();
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles (its
  // debug default); on the request path that bookkeeping showed in profiles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::unique_ptr<HttpServer> server(new HttpServer(options, router));
  try {
    const Pistache::Address address(host_port->first,
                                    Pistache::Port(static_cast<uint16_t>(host_port->second)));
    server->endpoint_ = std::make_unique<Pistache::Http::Endpoint>(address);
    auto endpoint_options = Pistache::Http::Endpoint::options()
                                .threads(options.threads)
                                .threadsName(options.program.substr(0, 15))
                                .flags(Pistache::Tcp::Options::ReuseAddr)
                                .backlog(1024)
                                .maxRequestSize(server->shared_->limits.max_header_bytes + 1024)
                                .maxResponseSize(options.max_response_bytes)
                                .headerTimeout(kPistacheTimeoutsOff)
                                .bodyTimeout(kPistacheTimeoutsOff)
                                .keepaliveTimeout(kPistacheTimeoutsOff);
    server->endpoint_->init(endpoint_options);
    server->endpoint_->setHandler(Pistache::Http::make_handler<FramingHandler>(server->shared_));
    server->endpoint_->serveThreaded();
    server->port_ = static_cast<uint16_t>(server->endpoint_->getPort());
  } catch (const std::exception& e) {
    server->endpoint_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen, ": ", e.what()));
  }
  server->sweeper_ = std::thread([s = server.get()] { s->Sweep(); });
  TG_LOG(Info) << options.program << " listening on port " << server->port_;
  return server;
}

// Closes idle connections, answers 408 to requests that take too long to
// arrive, and drops sockets whose peer does not close after our FIN.
void HttpServer::Sweep() {
  const absl::Duration tick = std::clamp(
      std::min({options_.idle_timeout, options_.header_timeout}) / 8, absl::Milliseconds(20),
      absl::Milliseconds(250));
  while (!stop_sweeper_.WaitForNotificationWithTimeout(tick)) {
    std::vector<std::shared_ptr<Connection>> connections;
    {
      absl::MutexLock lock(&shared_->registry_mu);
      connections.reserve(shared_->connections.size());
      for (const auto& [key, connection] : shared_->connections) connections.push_back(connection);
    }
    const bool draining = shared_->draining.load();
    for (const auto& connection : connections) {
      Connection& c = *connection;
      std::vector<std::pair<WritePromise, bool>> writes;
      {
        absl::MutexLock lock(&c.mu);
        if (c.gone || c.dropped) continue;
        const auto now = Clock::now();
        const bool idle = c.slots.empty() && c.writes_pending == 0 && !c.framer.mid_request();
        if (c.half_closed) {
          if (now < c.close_deadline) continue;
        } else if (c.closing) {
          // The last answer is still being made or written; handlers have
          // their own deadlines, a client that stops reading does not.
          if (now - c.last_activity < ToClock(options_.idle_timeout)) continue;
        } else if (c.framer.mid_request()) {
          const bool head_done = c.framer.head_complete();
          const auto limit = ToClock(head_done ? options_.request_timeout : options_.header_timeout);
          if (now - c.request_start < limit) continue;
          shared_->Count(head_done ? "request_timeout" : "header_timeout");
          writes = shared_->FailLocked(
              c, FramingErrorResponse({.status = 408,
                                       .message = head_done ? "Request body not received in time"
                                                            : "Request head not received in time"}));
        } else if (!idle || (!draining && now - c.last_activity < ToClock(options_.idle_timeout))) {
          continue;
        }
        if (writes.empty()) {
          // Both directions: the reactor reads EOF and releases the socket.
          ::shutdown(c.fd, SHUT_RDWR);
          c.dropped = true;
        }
      }
      shared_->AfterWrites(connection, std::move(writes));
    }
  }
}

void HttpServer::Shutdown() {
  if (stopped_ || endpoint_ == nullptr) return;
  stopped_ = true;
  shared_->draining = true;
  const absl::Time deadline = absl::Now() + options_.drain_timeout;
  while ((router_->in_flight() > 0 || shared_->unwritten.load() > 0) && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (router_->in_flight() > 0 || shared_->unwritten.load() > 0) {
    TG_LOG(Warning) << router_->in_flight() << " requests still running and "
                    << shared_->unwritten.load() << " answers unwritten after the drain timeout";
  }
  stop_sweeper_.Notify();
  if (sweeper_.joinable()) sweeper_.join();
  endpoint_->shutdown();
}

void ServeUntilTerminated(HttpServer& server) {
  const int signal = WaitForTerminationSignal();
  TG_LOG(Info) << "signal " << signal << ": draining";
  server.Shutdown();
}

}  // namespace tokengate
