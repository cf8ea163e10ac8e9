#include "services/cli/authority_client.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/uuid.h"
#include "common/config/config.h"
#include "common/config/version.h"
#include "common/verify/verify_client.h"
#include "services/cli/tls_probe.h"

namespace tokengate::cli {
namespace {

constexpr absl::Duration kProbeTimeout = absl::Seconds(3);

// Why the TLS handshake failed, if it did: gRPC names it when we refused the
// authority's certificate; when the authority refused ours gRPC only sees the
// connection close, so a handshake of our own reads the authority's alert.
std::optional<std::string> TlsRefusalOf(const CliConfig& config, const grpc::Status& status) {
  if (absl::StrContains(status.error_message(), "Ssl handshake failed")) {
    return absl::StrCat("the authority's certificate was not accepted (is it signed by --tls-ca?): ",
                        status.error_message());
  }
  absl::string_view first = config.authority;
  if (!absl::ConsumePrefix(&first, "ipv4:")) absl::ConsumePrefix(&first, "dns:///");
  absl::StatusOr<std::pair<std::string, int>> address = ParseHostPort(first.substr(0, first.find(',')));
  if (!address.ok()) return std::nullopt;
  // "[::1]:50051": getaddrinfo wants the address without brackets.
  const std::string host(absl::StripSuffix(absl::StripPrefix(address->first, "["), "]"));
  std::optional<std::string> refusal = TlsRefusal({.host = host,
                                                   .port = address->second,
                                                   .cert_file = config.tls_cert_file,
                                                   .key_file = config.tls_key_file,
                                                   .ca_file = config.tls_ca_file},
                                                  std::min(config.timeout, kProbeTimeout));
  if (!refusal.has_value()) return std::nullopt;
  return absl::StrCat("the client certificate (--tls-cert) was not accepted: ", *refusal);
}

}  // namespace

std::string CliUserAgent() { return absl::StrCat("tokengate-cli/", Version()); }

absl::StatusOr<std::unique_ptr<AuthorityClient>> AuthorityClient::Connect(const CliConfig& config) {
  // Plaintext only when asked for: the config demands all three files otherwise.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      config.plaintext ? MakeAuthorityChannel({.address = config.authority})
                       : MakeAuthorityChannel({.address = config.authority,
                                               .tls_cert_file = config.tls_cert_file,
                                               .tls_key_file = config.tls_key_file,
                                               .tls_ca_file = config.tls_ca_file});
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<AuthorityClient>(new AuthorityClient(config, *std::move(channel)));
}

AuthorityClient::AuthorityClient(const CliConfig& config, std::shared_ptr<grpc::Channel> channel)
    : config_(config),
      request_id_(NewUuidV7(absl::ToUnixMillis(absl::Now()))),
      channel_(std::move(channel)),
      stub_(v1::TokenAuthority::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> AuthorityClient::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMicroseconds(config_.timeout));
  context->AddMetadata("x-request-id", request_id_);
  return context;
}

v1::Actor AuthorityClient::Actor() const {
  v1::Actor actor;
  actor.set_name(config_.actor_name);
  actor.set_admin(true);  // Only an identity the caller policy grants the admin RPCs gets them.
  actor.set_user_agent(CliUserAgent());
  actor.set_request_id(request_id_);
  return actor;
}

absl::Status AuthorityClient::Failure(const grpc::Status& status) const {
  const std::string where = absl::StrCat("authority at ", config_.authority);
  switch (status.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat(where, " did not answer within ", absl::FormatDuration(config_.timeout)));
    case grpc::StatusCode::UNAVAILABLE:
      if (!config_.plaintext) {
        if (std::optional<std::string> refusal = TlsRefusalOf(config_, status); refusal.has_value()) {
          return absl::UnauthenticatedError(absl::StrCat("TLS with ", where, " failed: ", *refusal));
        }
      }
      return absl::UnavailableError(absl::StrCat(where, " is unavailable: ", status.error_message()));
    default: {
      const auto code = static_cast<absl::StatusCode>(status.error_code());
      return absl::Status(code, absl::StrCat(where, ": ",
                                             status.error_message().empty() ? absl::StatusCodeToString(code)
                                                                            : status.error_message()));
    }
  }
}

}  // namespace tokengate::cli
