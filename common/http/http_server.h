// Runs a Router on a Pistache endpoint: binds host:port (port 0 picks a free
// one), logs "<program> listening on port N" once serving, and on shutdown
// stops accepting and waits (bounded) for handlers still running. Callers
// block SIGTERM/SIGINT before starting any thread (common/signals.h).
#pragma once

#include <pistache/endpoint.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/router.h"

namespace tokengate {

struct HttpServerOptions {
  std::string program;                 // Names the process in the "listening" line.
  std::string listen = "0.0.0.0:0";    // host:port
  // Reactor threads. Handlers run on them and may block (RPCs), so size for
  // the blocking calls expected at once, not for the cores.
  int threads = 8;
  // Pistache's whole-request limit (request line + headers + body); keep it
  // above the router's body limit so oversized bodies get our JSON 413.
  size_t max_request_bytes = (1 << 20) + (64 << 10);
  size_t max_response_bytes = 8 << 20;
  absl::Duration drain_timeout = absl::Seconds(10);
};

class HttpServer {
 public:
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves `router` (which must outlive the server) on its own threads.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           Router* router);
  int port() const { return port_; }
  // Stops accepting, then waits up to drain_timeout for running handlers.
  void Shutdown();

 private:
  HttpServer(HttpServerOptions options, Router* router);

  const HttpServerOptions options_;
  Router* router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  int port_ = 0;
  bool stopped_ = false;
};

// Blocks until SIGTERM or SIGINT, logs it, and shuts `server` down.
void ServeUntilTerminated(HttpServer& server);

}  // namespace tokengate
