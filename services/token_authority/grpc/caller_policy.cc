#include "services/token_authority/grpc/caller_policy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/files.h"
#include "common/base/log.h"

namespace tokengate {

absl::StatusOr<CallerPolicy> CallerPolicy::Parse(absl::string_view text) {
  CallerPolicy policy;
  for (absl::string_view rule : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(rule, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || absl::StripAsciiWhitespace(parts[0]).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("bad caller rule '", rule, "'"));
    }
    auto& methods = policy.allowed_[std::string(absl::StripAsciiWhitespace(parts[0]))];
    for (absl::string_view method : absl::StrSplit(parts[1], '|', absl::SkipWhitespace())) {
      methods.insert(std::string(absl::StripAsciiWhitespace(method)));
    }
  }
  return policy;
}

bool CallerPolicy::Allows(absl::string_view identity, absl::string_view method) const {
  auto it = allowed_.find(identity);
  return it != allowed_.end() && (it->second.contains("*") || it->second.contains(method));
}

std::vector<std::string> CallerIdentities(const grpc::ServerContext& context) {
  std::vector<std::string> identities;
  auto auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return identities;
  for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
    for (const auto& value : auth->FindPropertyValues(property)) {
      identities.emplace_back(value.data(), value.size());
    }
  }
  return identities;
}

grpc::Status CallerPolicy::Check(const grpc::ServerContext& context, absl::string_view method) const {
  auto auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return grpc::Status::OK;
  const std::vector<std::string> identities = CallerIdentities(context);
  for (const auto& identity : identities) {
    if (Allows(identity, method)) return grpc::Status::OK;
  }
  const std::string who = identities.empty() ? "(no identity)" : identities.front();
  TG_LOG(Warning) << "denied " << method << " to caller " << who;
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("caller '", who, "' may not call ", method));
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const std::string& listen,
                                                                               const std::string& cert_file,
                                                                               const std::string& key_file,
                                                                               const std::string& ca_file) {
  if (cert_file.empty()) {
    if (!absl::StartsWith(listen, "127.") && !absl::StartsWith(listen, "localhost:") &&
        !absl::StartsWith(listen, "[::1]:")) {
      TG_LOG(Warning) << "gRPC is plaintext on " << listen
                      << ": any caller that reaches it is trusted; set TOKENGATE_TLS_* outside loopback";
    }
    return grpc::InsecureServerCredentials();
  }
  auto cert = ReadWholeFile(cert_file);
  auto key = ReadWholeFile(key_file);
  auto ca = ReadWholeFile(ca_file);
  for (const auto* file : {&cert, &key, &ca}) {
    if (!file->ok()) return file->status();
  }
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

}  // namespace tokengate
