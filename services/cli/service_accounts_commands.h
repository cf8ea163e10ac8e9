// `tokengate service-accounts list` and `… disable NAME` over the admin RPCs
// (ListServiceAccounts, DisableServiceAccount). The account's tokens are
// listed and revoked by the tokens and users runners, as owner "sa:NAME".
#pragma once

#include <ostream>

#include "absl/status/statusor.h"
#include "services/cli/authority_client.h"
#include "services/cli/cli_config.h"
#include "services/cli/exit_codes.h"

namespace tokengate::cli {

absl::StatusOr<ExitCode> RunServiceAccountsList(const CliConfig& config, AuthorityClient& client,
                                                std::ostream& out);
absl::StatusOr<ExitCode> RunServiceAccountsDisable(const CliConfig& config, AuthorityClient& client,
                                                   std::ostream& out);

}  // namespace tokengate::cli
