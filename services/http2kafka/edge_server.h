// Serves the edge on a Pistache endpoint: POST /v1/openlineage goes to the
// EventsRoute, which may answer later from Kafka's delivery thread (the shared
// HttpServer only runs synchronous Router handlers); every other request goes
// to the Router. Logs "http2kafka listening on port N" once serving.
#pragma once

#include <pistache/endpoint.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/http/router.h"
#include "services/http2kafka/events_route.h"

namespace tokengate {

struct EdgeServerOptions {
  std::string listen = "0.0.0.0:8002";
  int threads = 4;
  // Pistache's whole-request limit; above the body limit so oversized bodies
  // mostly get our JSON 413 rather than Pistache's plain-text one.
  size_t max_request_bytes = (10 << 20) + (1 << 20);
};

class EdgeServer {
 public:
  // `events` and `router` must outlive the server.
  static absl::StatusOr<std::unique_ptr<EdgeServer>> Start(const EdgeServerOptions& options,
                                                           EventsRoute* events, const Router* router);
  ~EdgeServer();
  EdgeServer(const EdgeServer&) = delete;
  EdgeServer& operator=(const EdgeServer&) = delete;

  int port() const { return port_; }
  // Closes the listener and every connection: answer what is pending first.
  void Shutdown();

 private:
  EdgeServer() = default;

  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  int port_ = 0;
};

}  // namespace tokengate
