#include "common/http/http_server.h"

#include <exception>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/log.h"
#include "common/signals.h"

namespace tokengate {

HttpServer::HttpServer(HttpServerOptions options, Router* router)
    : options_(std::move(options)), router_(router) {}

HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              Router* router) {
  auto host_port = ParseHostPort(options.listen);
  if (!host_port.ok()) return host_port.status();
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
                                .maxRequestSize(options.max_request_bytes)
                                .maxResponseSize(options.max_response_bytes);
    server->endpoint_->init(endpoint_options);
    server->endpoint_->setHandler(router->MakePistacheHandler());
    server->endpoint_->serveThreaded();
    server->port_ = static_cast<uint16_t>(server->endpoint_->getPort());
  } catch (const std::exception& e) {
    server->endpoint_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen, ": ", e.what()));
  }
  TG_LOG(Info) << options.program << " listening on port " << server->port_;
  return server;
}

void HttpServer::Shutdown() {
  if (stopped_ || endpoint_ == nullptr) return;
  stopped_ = true;
  endpoint_->shutdown();
  // Pistache may return from shutdown() while handlers still run (upstream #1018).
  const absl::Time deadline = absl::Now() + options_.drain_timeout;
  while (router_->in_flight() > 0 && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (router_->in_flight() > 0) {
    TG_LOG(Warning) << router_->in_flight() << " requests still running after the drain timeout";
  }
}

void ServeUntilTerminated(HttpServer& server) {
  const int signal = WaitForTerminationSignal();
  TG_LOG(Info) << "signal " << signal << ": draining";
  server.Shutdown();
}

}  // namespace tokengate
