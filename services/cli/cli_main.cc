#include "services/cli/cli_main.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/config/version.h"
#include "services/cli/authority_client.h"
#include "services/cli/exit_codes.h"
#include "services/cli/output.h"
#include "services/cli/service_accounts_commands.h"
#include "services/cli/token_input.h"
#include "services/cli/tokens_commands.h"
#include "services/cli/usage.h"
#include "services/cli/users_commands.h"
#include "services/cli/verify_command.h"

namespace tokengate::cli {
namespace {

int Fail(const absl::Status& status, std::ostream& err) {
  err << "tokengate: " << RedactTokens(status.message());
  if (ExitCodeFor(status) == kExitUsage) err << " (tokengate --help)";
  err << "\n";
  return ExitCodeFor(status);
}

absl::StatusOr<ExitCode> Run(const CliConfig& config, std::istream& in, std::ostream& out) {
  // The token is read before connecting: a missing token is a usage error
  // whether or not the authority is up.
  std::string token;
  if (config.command == Command::kVerify) {
    TG_ASSIGN_OR_RETURN(token, ReadToken(config.token_file, in));
  }
  TG_ASSIGN_OR_RETURN(std::unique_ptr<AuthorityClient> client, AuthorityClient::Connect(config));
  switch (config.command) {
    case Command::kVerify: return RunVerify(config, *client, token, out);
    case Command::kTokensList: return RunTokensList(config, *client, out);
    case Command::kTokensRevoke: return RunTokensRevoke(config, *client, out);
    case Command::kTokensRotate: return RunTokensRotate(config, *client, out);
    case Command::kTokensEvents: return RunTokensEvents(config, *client, out);
    case Command::kUsersRevokeTokens:
    case Command::kServiceAccountsTokensRevoke: return RunUsersRevokeTokens(config, *client, out);
    case Command::kServiceAccountsTokensList: return RunTokensList(config, *client, out);
    case Command::kServiceAccountsList: return RunServiceAccountsList(config, *client, out);
    case Command::kServiceAccountsDisable: return RunServiceAccountsDisable(config, *client, out);
    case Command::kHelp:
    case Command::kVersion: break;
  }
  return absl::InternalError("command without a runner");
}

}  // namespace

int RunCli(const std::vector<std::string>& args, const EnvLookup& env, std::istream& in, std::ostream& out,
           std::ostream& err) {
  absl::StatusOr<CliConfig> config = ParseCommandLine(args, env);
  if (!config.ok()) return Fail(config.status(), err);
  if (config->command == Command::kHelp) {
    out << UsageText();
    return kExitOk;
  }
  if (config->command == Command::kVersion) {
    // The format every tokengate binary answers --version with.
    out << "tokengate " << Version() << " (revision " << Revision() << ")\n";
    return kExitOk;
  }
  absl::StatusOr<ExitCode> code = Run(*config, in, out);
  if (!code.ok()) return Fail(code.status(), err);
  out.flush();
  return *code;
}

}  // namespace tokengate::cli
