// The files an edge (api, http2kafka) presents to reach the authority over
// mutual TLS: its certificate and key, and the CA that signed the authority's
// certificate; none of them: plaintext. Their flags are defined here once.
// The authority's own (server) TLS files have flags of their own, with other
// help texts, and share only CheckTlsFiles. This block reads no file: the
// channel does when it is made.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/config/config.h"
#include "common/verify/verify_client.h"

namespace tokengate {

struct TlsClientConfig {
  std::string cert_file;  // This edge's client identity.
  std::string key_file;
  std::string ca_file;  // Root that signed the authority's certificate.

  void ApplyTo(AuthorityChannelOptions& options) const;
};

const FlagList& TlsClientFlags();
// From the parsed flags: the three files together, or none.
absl::StatusOr<TlsClientConfig> TlsClientConfigFromFlags();

}  // namespace tokengate
