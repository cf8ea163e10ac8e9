#include "services/cli/verify_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/json_writer.h"
#include "services/cli/output.h"

namespace tokengate::cli {

using Stub = v1::TokenAuthority::Stub;

namespace {

// {"valid","reason","revoked","token_id","token_name","user_id","user_name",
//  "scopes","namespaces","networks","expires_at"}; unknown values are null.
std::string AsJson(const v1::VerifyTokenResponse& answer) {
  JsonWriter json;
  json.BeginObject();
  json.Field("valid", answer.valid());
  StringOrNull(json, "reason", answer.reason());
  json.Field("revoked", answer.revoked());
  StringOrNull(json, "token_id", answer.token_id());
  StringOrNull(json, "token_name", answer.token_name());
  json.Key("user_id");
  if (answer.user_id() == 0) {
    json.Null();
  } else {
    json.Int(answer.user_id());
  }
  StringOrNull(json, "user_name", answer.user_name());
  StringArray(json, "scopes", answer.scopes());
  StringArray(json, "namespaces", answer.namespaces());
  StringArray(json, "networks", answer.networks());
  StringOrNull(json, "expires_at", FormatUnix(answer.expires_at_unix()));
  json.EndObject();
  return json.Take();
}

std::string AsText(const v1::VerifyTokenResponse& answer) {
  std::string out = answer.valid() ? "valid\n" : absl::StrCat("invalid: ", answer.reason(), "\n");
  Table details({});
  if (!answer.token_id().empty()) {
    details.AddRow({"token", answer.token_name().empty()
                                 ? answer.token_id()
                                 : absl::StrCat(answer.token_id(), " (", answer.token_name(), ")")});
  }
  if (!answer.user_name().empty()) {
    details.AddRow({"owner", absl::StrCat(answer.user_name(), " (user id ", answer.user_id(), ")")});
  }
  if (answer.scopes_size() > 0) details.AddRow({"scopes", absl::StrJoin(answer.scopes(), " ")});
  if (answer.namespaces_size() > 0) details.AddRow({"namespaces", LimitText(answer.namespaces())});
  if (answer.networks_size() > 0) details.AddRow({"networks", LimitText(answer.networks())});
  if (answer.expires_at_unix() != 0) details.AddRow({"expires", FormatUnix(answer.expires_at_unix())});
  if (answer.revoked()) details.AddRow({"revoked", "yes"});
  return absl::StrCat(out, details.Render());
}

}  // namespace

absl::StatusOr<ExitCode> RunVerify(const CliConfig& config, AuthorityClient& client, const std::string& token,
                                   std::ostream& out) {
  v1::VerifyTokenRequest request;
  request.set_token(token);
  request.set_user_agent(CliUserAgent());
  v1::VerifyTokenResponse answer;
  if (absl::Status status = client.Call(&Stub::VerifyToken, request, &answer); !status.ok()) {
    return status;
  }
  out << (config.json ? AsJson(answer) + "\n" : AsText(answer));
  return answer.valid() ? kExitOk : kExitTokenInvalid;
}

}  // namespace tokengate::cli
