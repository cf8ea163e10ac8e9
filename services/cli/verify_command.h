// `tokengate verify`: asks the authority whether a token is valid and says
// why not. An invalid token is an answer (exit 1), not an error.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "services/cli/authority_client.h"
#include "services/cli/cli_config.h"
#include "services/cli/exit_codes.h"

namespace tokengate::cli {

// Prints the answer to `out` (never the token); kExitOk when valid,
// kExitTokenInvalid when not; an error when the authority could not answer.
absl::StatusOr<ExitCode> RunVerify(const CliConfig& config, AuthorityClient& client, const std::string& token,
                                   std::ostream& out);

}  // namespace tokengate::cli
