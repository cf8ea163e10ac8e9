#include "common/config/tls_client_config.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, tls_cert_file, "", "client certificate for the authority (PEM); empty: plaintext");
ABSL_FLAG(std::string, tls_key_file, "", "client private key (PEM)");
ABSL_FLAG(std::string, tls_ca_file, "", "CA that signed the authority's certificate (PEM)");

namespace tokengate {

const FlagList& TlsClientFlags() {
  static const FlagList kFlags = {{FLAGS_tls_cert_file}, {FLAGS_tls_key_file}, {FLAGS_tls_ca_file}};
  return kFlags;
}

void TlsClientConfig::ApplyTo(AuthorityChannelOptions& options) const {
  options.tls_cert_file = cert_file;
  options.tls_key_file = key_file;
  options.tls_ca_file = ca_file;
}

absl::StatusOr<TlsClientConfig> TlsClientConfigFromFlags() {
  TlsClientConfig config{.cert_file = absl::GetFlag(FLAGS_tls_cert_file),
                         .key_file = absl::GetFlag(FLAGS_tls_key_file),
                         .ca_file = absl::GetFlag(FLAGS_tls_ca_file)};
  if (absl::Status files = CheckTlsFiles(config.cert_file, config.key_file, config.ca_file); !files.ok()) {
    return files;
  }
  return config;
}

}  // namespace tokengate
