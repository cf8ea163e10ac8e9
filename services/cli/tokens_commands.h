// `tokengate tokens list|revoke|events`: one user's tokens (ListTokens),
// everyone's (AdminListTokens), revoking one (RevokeToken) and one token's
// audit history (ListTokenEvents).
#pragma once

#include <ostream>

#include "absl/status/statusor.h"
#include "services/cli/authority_client.h"
#include "services/cli/cli_config.h"
#include "services/cli/exit_codes.h"

namespace tokengate::cli {

absl::StatusOr<ExitCode> RunTokensList(const CliConfig& config, AuthorityClient& client, std::ostream& out);
absl::StatusOr<ExitCode> RunTokensRevoke(const CliConfig& config, AuthorityClient& client, std::ostream& out);
// RefreshToken with --grace: the new content, once, on `out` only.
absl::StatusOr<ExitCode> RunTokensRotate(const CliConfig& config, AuthorityClient& client, std::ostream& out);
absl::StatusOr<ExitCode> RunTokensEvents(const CliConfig& config, AuthorityClient& client, std::ostream& out);

}  // namespace tokengate::cli
