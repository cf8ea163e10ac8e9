#include "services/cli/users_commands.h"

#include "common/json_writer.h"

namespace tokengate::cli {

absl::StatusOr<ExitCode> RunUsersRevokeTokens(const CliConfig& config, AuthorityClient& client,
                                              std::ostream& out) {
  v1::RevokeUserTokensRequest request;
  *request.mutable_actor() = client.Actor();
  request.set_user_name(config.user);
  v1::RevokeUserTokensResponse response;
  const grpc::Status status = client.stub().RevokeUserTokens(client.NewContext().get(), request, &response);
  if (!status.ok()) return client.Failure(status);
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Field("user_name", config.user);
    json.Field("revoked_count", response.revoked_count());
    json.Key("token_ids");
    json.BeginArray();
    for (const auto& id : response.token_ids()) json.String(id);
    json.EndArray();
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
