// Which authenticated caller may call which RPC, when the authority runs with
// mutual TLS. The caller's identity is its client certificate's common name
// (or a DNS SAN). Without TLS there is no identity and every call is allowed:
// whoever reaches the port may issue and revoke for anyone, which is why the
// authority warns when it listens in plaintext beyond loopback (docs/security.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

class CallerPolicy {
 public:
  // "identity=Method|Method;identity=*", e.g. the default
  // "tokengate-api=*;tokengate-http2kafka=VerifyToken|WatchRevocations".
  static absl::StatusOr<CallerPolicy> Parse(absl::string_view text);

  // OK, or PERMISSION_DENIED naming the identity and the method.
  grpc::Status Check(const grpc::ServerContext& context, absl::string_view method) const;
  bool Allows(absl::string_view identity, absl::string_view method) const;

 private:
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> allowed_;
};

// The identities of an mTLS caller (certificate CN, then DNS SANs); empty
// on plaintext.
std::vector<std::string> CallerIdentities(const grpc::ServerContext& context);

// Credentials for the listening port: mutual TLS (client certificate
// required and verified against the CA) when the files are set, else
// plaintext with a warning unless the address is loopback.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const std::string& listen,
                                                                               const std::string& cert_file,
                                                                               const std::string& key_file,
                                                                               const std::string& ca_file);

}  // namespace tokengate
