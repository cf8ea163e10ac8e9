#include "services/cli/tls_probe.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "absl/strings/match.h"

namespace tokengate::cli {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// A connected socket whose reads and writes give up after `timeout`; -1 if none.
int Connect(const std::string& host, int port, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  const timeval limit = absl::ToTimeval(timeout);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    close(fd);
  }
  return -1;
}

// The pending TLS error if it is a refusal: an alert from the peer, or our
// verdict on its certificate. A plain end of the connection is not one.
std::optional<std::string> LastRefusal() {
  const unsigned long error = ERR_get_error();
  ERR_clear_error();
  const char* reason = error == 0 ? nullptr : ERR_reason_error_string(error);
  if (reason == nullptr) return std::nullopt;
  const std::string text(reason);
  if (!absl::StrContains(text, "alert") && !absl::StrContains(text, "certificate")) return std::nullopt;
  return text;
}

}  // namespace

std::optional<std::string> TlsRefusal(const TlsProbeTarget& target, absl::Duration timeout) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx.get(), target.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), target.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx.get(), target.ca_file.c_str(), nullptr) != 1) {
    return std::nullopt;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  // gRPC servers drop connections that do not offer HTTP/2.
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof kAlpn);

  Socket socket(Connect(target.host, target.port, timeout));
  if (socket.fd() < 0) return std::nullopt;
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), socket.fd());
  SSL_set_tlsext_host_name(ssl.get(), target.host.c_str());
  ERR_clear_error();
  if (SSL_connect(ssl.get()) != 1) return LastRefusal();
  // TLS 1.3: the server judges our certificate after the client's side of the
  // handshake is done. gRPC's server then closes the connection without an
  // alert; one that accepts us speaks first (HTTP/2 SETTINGS).
  char byte;
  if (SSL_read(ssl.get(), &byte, 1) > 0) return std::nullopt;
  if (std::optional<std::string> alert = LastRefusal(); alert.has_value()) return alert;
  return "the authority closed the connection right after the TLS handshake";
}

}  // namespace tokengate::cli
