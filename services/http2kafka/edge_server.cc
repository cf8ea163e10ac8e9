#include "services/http2kafka/edge_server.h"

#include <exception>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/http/error_body.h"
#include "common/http/request_id.h"
#include "common/http/response_headers.h"
#include "common/log.h"

namespace tokengate {
namespace {

// The largest answer is Swagger UI's bundle (about 1.5 MB).
constexpr size_t kMaxResponseBytes = 8 << 20;

class EdgeHandler final : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(EdgeHandler)

  EdgeHandler(EventsRoute* events, const Router* router) : events_(events), router_(router) {}

  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter writer) override {
    auto client_id = request.headers().tryGetRaw(kRequestIdHeader);
    const std::string request_id = RequestIdFrom(
        client_id ? std::optional<std::string>(client_id->value()) : std::nullopt);
    if (request.resource() != kEventsPath) {
      WriteResponse(router_->Handle(request, request_id), request_id, writer);
    } else if (request.method() != Pistache::Http::Method::Post) {
      WriteResponse(MethodNotAllowed({"POST"}), request_id, writer);
    } else {
      events_->Handle(request, request_id, std::move(writer));
    }
  }

 private:
  EventsRoute* events_;
  const Router* router_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EdgeServer>> EdgeServer::Start(const EdgeServerOptions& options,
                                                              EventsRoute* events,
                                                              const Router* router) {
  auto host_port = ParseHostPort(options.listen);
  if (!host_port.ok()) return host_port.status();
  std::unique_ptr<EdgeServer> server(new EdgeServer());
  try {
    const Pistache::Address address(host_port->first,
                                    Pistache::Port(static_cast<uint16_t>(host_port->second)));
    server->endpoint_ = std::make_unique<Pistache::Http::Endpoint>(address);
    server->endpoint_->init(Pistache::Http::Endpoint::options()
                                .threads(options.threads)
                                .threadsName("http2kafka")
                                .flags(Pistache::Tcp::Options::ReuseAddr)
                                .backlog(1024)
                                .maxRequestSize(options.max_request_bytes)
                                .maxResponseSize(kMaxResponseBytes));
    server->endpoint_->setHandler(Pistache::Http::make_handler<EdgeHandler>(events, router));
    server->endpoint_->serveThreaded();
    server->port_ = static_cast<uint16_t>(server->endpoint_->getPort());
  } catch (const std::exception& e) {
    server->endpoint_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen, ": ", e.what()));
  }
  TG_LOG(Info) << "http2kafka listening on port " << server->port_;
  return server;
}

EdgeServer::~EdgeServer() { Shutdown(); }

void EdgeServer::Shutdown() {
  if (endpoint_ == nullptr) return;
  endpoint_->shutdown();
  endpoint_.reset();
}

}  // namespace tokengate
