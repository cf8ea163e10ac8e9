#include "common/http/http_server.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include <pistache/peer.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/log.h"
#include "common/base/signals.h"
#include "common/base/status_macros.h"
#include "common/config/config.h"
#include "common/http/error_body.h"
#include "common/http/request_id.h"
#include "common/http/response_wire.h"

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
// Retry-After of a request refused because the bodies being received are over budget.
constexpr absl::Duration kReceivingRetryAfter = absl::Seconds(1);

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

// Bytes handed to Pistache's write queue; `close`: the connection's last answer.
struct QueuedWrite {
  WritePromise promise;
  bool close;
  size_t bytes;
};
using QueuedWrites = std::vector<QueuedWrite>;

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
  int writes_pending ABSL_GUARDED_BY(mu) = 0;   // In Pistache's write queue.
  size_t queued_bytes ABSL_GUARDED_BY(mu) = 0;  // Their bytes.
  bool gone ABSL_GUARDED_BY(mu) = false;
  bool closing ABSL_GUARDED_BY(mu) = false;      // The last answer is decided.
  bool half_closed ABSL_GUARDED_BY(mu) = false;  // Our FIN is sent.
  bool dropped ABSL_GUARDED_BY(mu) = false;      // Both directions shut.
  // One thread at a time frames and dispatches this connection's requests
  // (Shared::Pump), so they reach the Router in order and the caps hold.
  bool pumping ABSL_GUARDED_BY(mu) = false;
  bool reading_paused ABSL_GUARDED_BY(mu) = false;     // The socket's read interest is off.
  bool head_checked ABSL_GUARDED_BY(mu) = false;       // The pending head passed its route's check.
  std::string pending_request_id ABSL_GUARDED_BY(mu);  // The checked head's request id.
  size_t receiving ABSL_GUARDED_BY(mu) = 0;            // This connection's share of Shared::receiving.
  Clock::time_point last_activity ABSL_GUARDED_BY(mu) = Clock::now();
  Clock::time_point request_start ABSL_GUARDED_BY(mu) = Clock::now();
  Clock::time_point close_deadline ABSL_GUARDED_BY(mu);
  // When the peer last took bytes of a pending answer (kernel send queue shrank or a write ended).
  Clock::time_point write_progress ABSL_GUARDED_BY(mu);
  int last_unsent ABSL_GUARDED_BY(mu) = -1;  // The kernel's send queue at the last sweep.
};

// A framed request on its way to the Router, with its place in the answer order.
struct Work {
  uint64_t seq;
  std::string request_id;
  FramedRequest request;
};

// A complete head whose body is still to come, for its route's check.
struct HeadToCheck {
  FramedRequest head;
  std::optional<size_t> declared_body_bytes;
  std::string request_id;
};

std::string RequestIdOf(const FramedRequest& request) {
  auto client_id = request.FieldValue(kRequestIdHeader);
  return RequestIdFrom(client_id ? std::optional<std::string>(*client_id) : std::nullopt);
}

HttpResponse FramingErrorResponse(const FramingError& error) {
  switch (error.status) {
    case 413: return RequestTooLarge(error.message);
    case 400: return BadRequest(error.message);
    default: break;
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

}  // namespace

struct HttpServer::Shared : std::enable_shared_from_this<HttpServer::Shared> {
  HttpServerOptions options;
  Router* router = nullptr;
  FramerLimits limits;
  std::atomic<bool> draining{false};
  std::atomic<int> unwritten{0};     // Answers handed to Pistache, not yet on the wire.
  std::atomic<size_t> receiving{0};  // Bytes of requests being received, all connections.
  CounterFamily* rejected = nullptr;

  absl::Mutex registry_mu;
  absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> connections ABSL_GUARDED_BY(registry_mu);

  void Count(absl::string_view reason) {
    if (rejected != nullptr) rejected->WithLabels({std::string(reason)})->Increment();
  }

  // Whether another request may be read from `c`: few enough in flight and
  // few enough answer bytes waiting for the peer.
  bool MayRead(const Connection& c) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    return c.slots.size() < static_cast<size_t>(options.max_pipelined) &&
           c.queued_bytes <= options.max_queued_write_bytes;
  }

  // Turns the socket's read interest on or off, so a connection over its caps
  // leaves further bytes in the kernel (TCP flow control then stops the peer).
  // While answers wait in Pistache's write queue Pistache owns the interest:
  // it turns Read and Write on, then Read alone when the queue is empty, and
  // a Write interest with nothing queued aborts it. So the interest changes
  // only with nothing queued; until then the connection is read, and what it
  // buffers is bounded in onInput.
  void SetReading(Connection& c, bool on) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    if (c.writes_pending > 0 || c.gone || c.dropped) {
      c.reading_paused = false;
      return;
    }
    c.reading_paused = !on;
    using Pistache::Polling::NotifyOn;
    c.transport->reactor()->modifyFd(c.transport->key(), c.fd,
                                     on ? NotifyOn::Read | NotifyOn::Shutdown : NotifyOn::Shutdown,
                                     Pistache::Polling::Mode::Edge);
  }

  // Keeps Shared::receiving equal to the sum of every connection's share: the
  // declared body of a head being received, or the bytes buffered.
  void Account(Connection& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    size_t share = 0;
    if (!c.gone && !c.closing) {
      share = std::max(c.framer.buffered_bytes(), c.framer.declared_body_bytes().value_or(0));
    }
    receiving += share;
    receiving -= c.receiving;
    c.receiving = share;
  }

  uint64_t AddSlot(Connection& c, std::string request_id, bool http10, bool close_after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    const uint64_t seq = c.next_seq++;
    c.slots.push_back(
        Slot{.seq = seq, .request_id = std::move(request_id), .http10 = http10, .close_after = close_after});
    if (close_after) c.closing = true;
    return seq;
  }

  // Writes every answer at the head of the order that is ready. The returned
  // promises get their continuations after `mu` is released, since Pistache
  // runs a continuation at once when the write has already finished.
  void Flush(Connection& c, QueuedWrites& writes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
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
  }

  // Sends `bytes` after everything queued before it: at once when nothing is
  // queued, the rest through Pistache's write queue. False when the peer is
  // gone (the reactor sees it and cleans up).
  bool Write(Connection& c, std::string bytes, bool close, QueuedWrites& writes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    size_t sent = 0;
    if (c.writes_pending == 0) {
      const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        Drop(c);
        return false;
      }
      sent = n > 0 ? static_cast<size_t>(n) : 0;
    }
    const auto now = Clock::now();
    if (sent == bytes.size()) {
      c.last_activity = now;
      if (close) HalfClose(c);
    } else {
      if (c.writes_pending == 0) c.write_progress = now;
      c.reading_paused = false;  // Pistache turns Read on together with Write.
      ++c.writes_pending;
      ++unwritten;
      bytes.erase(0, sent);  // In place: an answer may be megabytes.
      const size_t rest = bytes.size();
      c.queued_bytes += rest;
      writes.push_back(QueuedWrite{
          .promise = c.transport->asyncWrite(c.fd, Pistache::RawBuffer(std::move(bytes), rest), MSG_NOSIGNAL),
          .close = close,
          .bytes = rest});
    }
    return true;
  }

  void AfterWrites(const std::shared_ptr<Connection>& c, QueuedWrites writes) {
    for (QueuedWrite& write : writes) {
      write.promise.then(
          [this, c, close = write.close, bytes = write.bytes](ssize_t) { Written(c, close, bytes); },
          [this, c, bytes = write.bytes](std::exception_ptr) { Written(c, true, bytes); });
    }
  }

  // After our last answer: FIN, then a lingering close (see kLinger).
  void HalfClose(Connection& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    if (c.half_closed) return;
    ::shutdown(c.fd, SHUT_WR);
    c.half_closed = true;
    c.close_deadline = Clock::now() + kLinger;
  }

  // Shuts both directions; the reactor reads EOF and releases the socket and
  // whatever Pistache still had queued for it.
  void Drop(Connection& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    if (c.reading_paused) SetReading(c, true);
    ::shutdown(c.fd, SHUT_RDWR);
    c.dropped = true;
    c.closing = true;
    c.slots.clear();
    c.framer.Stop();
    Account(c);
  }

  void Written(const std::shared_ptr<Connection>& connection, bool close, size_t bytes) {
    {
      Connection& c = *connection;
      absl::MutexLock lock(&c.mu);
      if (c.gone) return;
      --c.writes_pending;
      --unwritten;
      c.queued_bytes -= bytes;
      c.last_activity = c.write_progress = Clock::now();
      if (close) HalfClose(c);
    }
    Pump(connection);
  }

  void Complete(const std::shared_ptr<Connection>& c, uint64_t seq, HttpResponse response) {
    QueuedWrites writes;
    {
      absl::MutexLock lock(&c->mu);
      // No slot: the connection is gone or closed before this answer's turn.
      if (c->slots.empty() || seq < c->slots.front().seq || seq - c->slots.front().seq >= c->slots.size()) {
        return;
      }
      Slot& slot = c->slots[seq - c->slots.front().seq];
      slot.response = std::move(response);
      slot.ready = true;
      Flush(*c, writes);
    }
    AfterWrites(c, std::move(writes));
    Pump(c);  // The answer may have made room for the next pipelined request.
  }

  // Ends the connection with one error answer (queued after earlier answers);
  // nothing more of its stream is read.
  void FailLocked(Connection& c, HttpResponse response, QueuedWrites& writes,
                  std::string request_id = NewRequestId()) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    AddSlot(c, std::move(request_id), false, true);
    Slot& slot = c.slots.back();
    slot.response = std::move(response);
    slot.ready = true;
    c.framer.Stop();
    Account(c);
    Flush(c, writes);
  }

  // What the pump does next for `c`: hand a framed request to the Router,
  // check a complete head before its body is read, or nothing (then the
  // connection waits for bytes, answers or room).
  void NextStep(Connection& c, std::optional<Work>& work, std::optional<HeadToCheck>& check,
                QueuedWrites& writes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu) {
    if (c.gone || c.closing) return;
    if (!MayRead(c)) {
      Account(c);
      return;
    }
    FramedRequest request;
    FramingError error;
    const RequestFramer::Result result = c.framer.Next(&request, &error);
    if (result == RequestFramer::Result::kError) {
      Count(error.reason);
      FailLocked(c, FramingErrorResponse(error), writes);
      return;
    }
    if (result == RequestFramer::Result::kRequest) {
      std::string request_id =
          c.pending_request_id.empty() ? RequestIdOf(request) : std::exchange(c.pending_request_id, "");
      c.head_checked = false;
      if (c.framer.mid_request()) c.request_start = Clock::now();
      const bool close = !request.keep_alive || draining.load();
      const uint64_t seq = AddSlot(c, request_id, request.http10, close);
      c.slots.back().head = request.method() == "HEAD";
      Account(c);
      work = Work{.seq = seq, .request_id = std::move(request_id), .request = std::move(request)};
      return;
    }
    if (!c.framer.head_complete()) {
      Account(c);
      return;
    }
    if (!c.head_checked) {
      c.pending_request_id = RequestIdOf(c.framer.pending_head());
      check = HeadToCheck{.head = c.framer.pending_head(),
                          .declared_body_bytes = c.framer.declared_body_bytes(),
                          .request_id = c.pending_request_id};
      return;
    }
    Account(c);
    if (receiving.load() > options.max_receiving_bytes) {
      Count("receiving_budget");
      FailLocked(
          c,
          ServiceUnavailable("Too many request bodies are being received, retry later", kReceivingRetryAfter),
          writes, std::exchange(c.pending_request_id, ""));
      return;
    }
    // Only when no earlier answer is still owed, so the interim answer
    // cannot overtake one; else the client sends its body after its own
    // wait (curl: 1 s).
    if (c.slots.empty() && c.framer.TakeContinue()) {
      Write(c, "HTTP/1.1 100 Continue\r\n\r\n", /*close=*/false, writes);
    }
  }

  // Frames and dispatches `connection`'s requests while its caps allow, one
  // at a time, on the calling thread; a thread that finds another pumping
  // leaves it to that one, which looks again under the lock before it stops.
  void Pump(const std::shared_ptr<Connection>& connection) {
    Connection& c = *connection;
    {
      absl::MutexLock lock(&c.mu);
      if (c.pumping) return;
      c.pumping = true;
    }
    while (true) {
      QueuedWrites writes;
      std::optional<Work> work;
      std::optional<HeadToCheck> check;
      {
        absl::MutexLock lock(&c.mu);
        NextStep(c, work, check, writes);
        if (!work && !check) {
          c.pumping = false;
          // Closing: keep reading, and dropping, what the peer still sends (lingering close).
          const bool read = c.closing || MayRead(c);
          if (read == c.reading_paused) SetReading(c, read);
        }
      }
      AfterWrites(connection, std::move(writes));
      if (work) {
        Dispatch(connection, *work);
      } else if (check) {
        CheckHead(connection, *check);
      } else {
        return;
      }
    }
  }

  void Dispatch(const std::shared_ptr<Connection>& connection, Work& work) {
    router->Dispatch(
        work.request, work.request_id,
        Responder([shared = shared_from_this(), connection, seq = work.seq](HttpResponse response) {
          shared->Complete(connection, seq, std::move(response));
        }),
        connection->peer_address);
  }

  void CheckHead(const std::shared_ptr<Connection>& connection, const HeadToCheck& check) {
    std::optional<HttpResponse> refusal =
        router->CheckHead(check.head, check.declared_body_bytes, check.request_id, connection->peer_address);
    QueuedWrites writes;
    {
      Connection& c = *connection;
      absl::MutexLock lock(&c.mu);
      if (c.gone || c.closing) return;
      if (refusal) {
        FailLocked(c, *std::move(refusal), writes, std::exchange(c.pending_request_id, ""));
      } else {
        c.head_checked = true;
      }
    }
    AfterWrites(connection, std::move(writes));
  }
};

namespace {

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
      connection->queued_bytes = 0;
      connection->slots.clear();
      connection->framer.Stop();
      shared_->Account(*connection);
    }
    absl::MutexLock lock(&shared_->registry_mu);
    shared_->connections.erase(connection.get());
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto connection = ConnectionOf(peer);
    if (connection == nullptr) return;
    Connection& c = *connection;
    {
      absl::MutexLock lock(&c.mu);
      if (c.closing || c.gone) return;  // Nothing after the last answer is read.
      const auto now = Clock::now();
      c.last_activity = now;
      const bool fresh_request = !c.framer.mid_request();
      c.framer.Feed(absl::string_view(buffer, len));
      if (fresh_request && c.framer.mid_request()) c.request_start = now;
      // What a connection over its caps may hold unframed: one request of the
      // largest size (reading pauses only while none of its answers waits in
      // Pistache's queue, and Pistache reads a socket until it is empty).
      if (!shared_->MayRead(c) &&
          c.framer.buffered_bytes() > shared_->limits.max_header_bytes + shared_->limits.max_body_bytes) {
        shared_->Count("pipeline_overflow");
        shared_->Drop(c);
        return;
      }
    }
    shared_->Pump(connection);
  }

 private:
  static std::shared_ptr<Connection> ConnectionOf(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
    return std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionData));
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
  TG_ASSIGN_OR_RETURN(auto host_port, ParseHostPort(options.listen));
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles (its
  // debug default); on the request path that bookkeeping showed in profiles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::unique_ptr<HttpServer> server(new HttpServer(options, router));
  try {
    const Pistache::Address address(host_port.first, Pistache::Port(static_cast<uint16_t>(host_port.second)));
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
// arrive, drops connections whose peer stops taking their answers, and drops
// sockets whose peer does not close after our FIN.
void HttpServer::Sweep() {
  const absl::Duration tick =
      std::clamp(std::min({options_.idle_timeout, options_.header_timeout, options_.write_timeout}) / 8,
                 absl::Milliseconds(20), absl::Milliseconds(250));
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
      QueuedWrites writes;
      {
        absl::MutexLock lock(&c.mu);
        if (c.gone || c.dropped) continue;
        const auto now = Clock::now();
        if (c.writes_pending > 0) {
          // Progress is any byte the peer takes: the kernel's send queue
          // shrinking counts, not only a whole queued answer leaving.
          int unsent = 0;
          if (::ioctl(c.fd, SIOCOUTQ, &unsent) == 0 && unsent != c.last_unsent) {
            c.last_unsent = unsent;
            c.write_progress = now;
          }
          if (now - c.write_progress < ToClock(options_.write_timeout)) continue;
          shared_->Count("write_timeout");
          shared_->Drop(c);
          continue;
        }
        const bool idle = c.slots.empty() && !c.framer.mid_request();
        if (c.half_closed) {
          if (now < c.close_deadline) continue;
          shared_->Drop(c);
        } else if (c.closing) {
          // The last answer is still being made; handlers have their own deadlines.
          if (now - c.last_activity < ToClock(options_.idle_timeout)) continue;
          shared_->Drop(c);
        } else if (c.framer.mid_request() && shared_->MayRead(c) && !c.pumping) {
          // Waiting for the client (not for our answers or a head check).
          const bool head_done = c.framer.head_complete();
          const auto limit = ToClock(head_done ? options_.request_timeout : options_.header_timeout);
          if (now - c.request_start < limit) continue;
          shared_->Count(head_done ? "request_timeout" : "header_timeout");
          shared_->FailLocked(
              c,
              FramingErrorResponse({.status = 408,
                                    .message = head_done ? "Request body not received in time"
                                                         : "Request head not received in time"}),
              writes);
        } else if (!idle || (!draining && now - c.last_activity < ToClock(options_.idle_timeout))) {
          continue;
        } else {
          // FIN, then a lingering close: a request that crosses it is read
          // and dropped, so the client sees a clean close, never a reset.
          c.closing = true;
          shared_->Account(c);
          shared_->HalfClose(c);
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
    TG_LOG(Warning) << router_->in_flight() << " requests still running and " << shared_->unwritten.load()
                    << " answers unwritten after the drain timeout";
  }
  // The sweeper half-closes idle connections at its next tick; their
  // lingering closes end before the endpoint closes every socket, since
  // closing one with an unread request in it sends a reset.
  const absl::Time linger_end = absl::Now() + absl::FromChrono(kLinger) + absl::Milliseconds(300);
  while (absl::Now() < linger_end) {
    {
      absl::MutexLock lock(&shared_->registry_mu);
      if (shared_->connections.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
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
