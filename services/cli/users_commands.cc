#include "services/cli/users_commands.h"

#include "common/base/json_writer.h"
#include "services/cli/output.h"

namespace tokengate::cli {

using Stub = v1::TokenAuthority::Stub;

absl::StatusOr<ExitCode> RunUsersRevokeTokens(const CliConfig& config, AuthorityClient& client,
                                              std::ostream& out) {
  v1::RevokeUserTokensRequest request;
  *request.mutable_actor() = client.Actor();
  request.set_user_name(config.user);
  v1::RevokeUserTokensResponse response;
  if (absl::Status status = client.Call(&Stub::RevokeUserTokens, request, &response); !status.ok()) {
    return status;
  }
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Field("user_name", config.user);
    json.Field("revoked_count", response.revoked_count());
    StringArray(json, "token_ids", response.token_ids());
    json.EndObject();
    out << json.Take() << "\n";
    return kExitOk;
  }
  out << "revoked " << response.revoked_count() << " token" << (response.revoked_count() == 1 ? "" : "s")
      << " of " << config.user << "\n";
  for (const auto& id : response.token_ids()) out << id << "\n";
  return kExitOk;
}

}  // namespace tokengate::cli
