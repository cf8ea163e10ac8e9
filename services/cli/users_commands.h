// `tokengate users revoke-tokens NAME`: offboarding, every active token of
// one user revoked in one call (RevokeUserTokens); prints how many.
#pragma once

#include <ostream>

#include "absl/status/statusor.h"
#include "services/cli/authority_client.h"
#include "services/cli/cli_config.h"
#include "services/cli/exit_codes.h"

namespace tokengate::cli {

absl::StatusOr<ExitCode> RunUsersRevokeTokens(const CliConfig& config, AuthorityClient& client,
                                              std::ostream& out);

}  // namespace tokengate::cli
