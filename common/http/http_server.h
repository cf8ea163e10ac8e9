// The one HTTP/1.1 server of both edges. Pistache accepts connections and
// moves bytes; our handler frames and parses each connection's stream itself
// (RequestFramer; Pistache's request parser never runs), so a request
// reaches the Router only when its framing is certain. Anything else gets one
// JSON error with X-Request-ID and the connection is closed, and nothing after
// it is read. Connections persist per RFC 9112 §9.3, pipelined answers leave in
// request order (also when a route answers later from another thread), and
// idle, header-read, request and write-progress timeouts close the socket.
// What one connection holds is bounded: requests in flight and answer bytes
// the peer has not taken (above either, its stream is not read further), and
// bodies being received across all connections share one budget. Logs "<program>
// listening on port N" once serving. Callers block SIGTERM/SIGINT before
// starting any thread (common/base/signals.h).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <pistache/endpoint.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/base/metrics.h"
#include "common/http/request_framer.h"
#include "common/http/router.h"

namespace tokengate {

struct HttpServerOptions {
  std::string program;               // Names the process in the "listening" line.
  std::string listen = "0.0.0.0:0";  // host:port
  // Reactor threads. Synchronous handlers run on them and may block (RPCs),
  // so size for the blocking calls expected at once, not for the cores.
  int threads = 8;
  size_t max_response_bytes = 8 << 20;
  // Line, header and count limits; the body limit is the router's largest.
  FramerLimits limits;
  // A connection with no request in progress and nothing to send is closed after this.
  absl::Duration idle_timeout = absl::Seconds(60);
  // From a request's first byte to the end of its head (slowloris), then to its last byte.
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration request_timeout = absl::Seconds(60);
  // A connection whose peer takes no byte of its pending answers for this long is dropped.
  absl::Duration write_timeout = absl::Seconds(30);
  // Pipelined requests read and not yet answered, per connection; at the cap
  // the connection is not read until answers leave (as nginx and h2o do).
  int max_pipelined = 16;
  // Answer bytes the peer has not taken yet, per connection; above this no
  // further request is read from it (one answer may exceed it).
  size_t max_queued_write_bytes = 1 << 20;
  // Bytes of requests being received (declared Content-Length, or what has
  // arrived) across all connections; a request beyond it gets 503 + Retry-After.
  size_t max_receiving_bytes = 256 << 20;
  absl::Duration drain_timeout = absl::Seconds(10);
  // Framing errors and timeouts by reason; null: not counted.
  MetricsRegistry* metrics = nullptr;
};

class HttpServer {
 public:
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves `router` (which must outlive the server) on its own threads.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, Router* router);
  int port() const { return port_; }
  // Answers from now on carry "Connection: close" and idle connections are
  // closed; then waits up to drain_timeout for running requests and for answers
  // still queued for the wire, and stops serving.
  void Shutdown();

  struct Shared;  // State the Pistache handler clones and connections share.

 private:
  HttpServer(HttpServerOptions options, Router* router);
  void Sweep();

  const HttpServerOptions options_;
  Router* router_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::thread sweeper_;
  absl::Notification stop_sweeper_;
  int port_ = 0;
  bool stopped_ = false;
};

// Blocks until SIGTERM or SIGINT, logs it, and shuts `server` down.
void ServeUntilTerminated(HttpServer& server);

}  // namespace tokengate
