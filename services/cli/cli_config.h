// The command line of `tokengate` turned into one validated struct: the
// command, its arguments and the connection settings (flags, else the
// TOKENGATE_* environment). Parsing only: nothing here opens a file or a
// socket. A token is never accepted from argv, where `ps` shows it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokengate::cli {

enum class Command {
  kHelp,
  kVersion,
  kVerify,
  kTokensList,
  kTokensRevoke,
  kTokensEvents,
  kTokensRotate,
  kUsersRevokeTokens,
  // Service accounts (admin RPCs): their tokens are listed and revoked as
  // those of the owner "sa:NAME" (AdminListTokens, RevokeUserTokens).
  kServiceAccountsList,
  kServiceAccountsTokensList,
  kServiceAccountsTokensRevoke,
  kServiceAccountsDisable,
};

struct CliConfig {
  Command command = Command::kHelp;

  // Connection.
  std::string authority = "127.0.0.1:50051";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  bool plaintext = false;
  absl::Duration timeout = absl::Seconds(10);
  // Who the management calls act for (--as, else $USER); audited by the authority.
  std::string actor_name;

  bool json = false;

  // verify: where the token comes from; empty means stdin.
  std::string token_file;
  // tokens …: whose tokens; users revoke-tokens: whose tokens to revoke;
  // service-accounts tokens …: "sa:NAME".
  std::string user;
  // service-accounts disable: the account's NAME.
  std::string service_account;
  std::string token_id;
  bool all_users = false;
  bool active_only = false;
  int page = 1;
  int page_size = 20;
  // tokens rotate: how long the old content keeps working (issue 24).
  absl::Duration grace = absl::ZeroDuration();
};

// Reads one environment variable; nullopt when unset. Injected for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvironment();

// argv (argv[0] excluded) → config. Every error is a usage error
// (INVALID_ARGUMENT) whose message never repeats a token-looking argument.
absl::StatusOr<CliConfig> ParseCommandLine(const std::vector<std::string>& args, const EnvLookup& env);

// True for text that looks like token content: personal_token_ and three
// dot-separated parts, or a bare compact JWS ("eyJ…" in three parts).
bool LooksLikeToken(absl::string_view text);

}  // namespace tokengate::cli
