// The exit codes scripts rely on (documented in `tokengate --help` and the
// docs/cli.md), and the one mapping from a failed call's status to them.
#pragma once

#include "absl/status/status.h"

namespace tokengate::cli {

enum ExitCode : int {
  kExitOk = 0,            // Done; verify: the token is valid.
  kExitTokenInvalid = 1,  // verify: the token is invalid, revoked or expired.
  kExitUsage = 2,         // Bad flags or arguments (also ones the authority rejects as invalid).
  kExitNotFound = 3,      // No such token or user.
  kExitDenied = 4,        // mTLS refused, or the caller policy does not allow the call.
  kExitUnavailable = 5,   // The authority cannot be reached, or the deadline passed.
  kExitOther = 6,         // Anything else.
};

// absl and gRPC share status code numbers, so this serves both.
ExitCode ExitCodeFor(const absl::Status& status);

}  // namespace tokengate::cli
