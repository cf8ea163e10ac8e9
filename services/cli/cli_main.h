// `tokengate` from argv to exit code, with its streams passed in so tests
// can drive it without a process: parse, read the token, connect, run one
// command, map a failure to one redacted line on `err` and its exit code.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "services/cli/cli_config.h"

namespace tokengate::cli {

int RunCli(const std::vector<std::string>& args, const EnvLookup& env, std::istream& in, std::ostream& out,
           std::ostream& err);

}  // namespace tokengate::cli
