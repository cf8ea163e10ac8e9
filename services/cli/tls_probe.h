// Why a mutual-TLS connection failed, when gRPC only says "Socket closed":
// one TLS handshake of our own with the same files, which reads the alert the
// authority answers a refused client certificate with. Used only after a
// call already failed as UNAVAILABLE, to tell "refused" (exit 4) from "down"
// (exit 5).
#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"

namespace tokengate::cli {

struct TlsProbeTarget {
  std::string host;
  int port = 0;
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
};

// The TLS error that ended the handshake ("tlsv1 alert unknown ca",
// "certificate verify failed", …), or nullopt when nothing answered or the
// handshake went through. Gives up after `timeout`.
std::optional<std::string> TlsRefusal(const TlsProbeTarget& target, absl::Duration timeout);

}  // namespace tokengate::cli
