// The CLI's connection to the token authority: one channel (mutual TLS, or
// plaintext only when asked for), a deadline on every call, the Actor the
// management calls carry, and the one translation of a failed call into a
// Status whose code picks the exit code. Knows nothing of output.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/cli/cli_config.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate::cli {

// "tokengate-cli/<version>": the user agent the audit trail records.
std::string CliUserAgent();

class AuthorityClient {
 public:
  static absl::StatusOr<std::unique_ptr<AuthorityClient>> Connect(const CliConfig& config);

  // One unary call with the deadline; a failure as Failure() words it.
  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (v1::TokenAuthority::Stub::*method)(grpc::ClientContext*, const Request&,
                                                                     Response*),
                    const Request& request, Response* response) {
    const grpc::Status status = ((*stub_).*method)(NewContext().get(), request, response);
    return status.ok() ? absl::OkStatus() : Failure(status);
  }
  // Who acts: --as (else $USER), marked as the CLI.
  v1::Actor Actor() const;
  // A context whose deadline is --timeout from now.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  // A failed call as a Status with the same code (UNAVAILABLE becomes
  // UNAUTHENTICATED when the TLS handshake was refused) and a one-line
  // message naming the authority.
  absl::Status Failure(const grpc::Status& status) const;

 private:
  AuthorityClient(const CliConfig& config, std::shared_ptr<grpc::Channel> channel);

  const CliConfig config_;
  const std::string request_id_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TokenAuthority::Stub> stub_;
};

}  // namespace tokengate::cli
