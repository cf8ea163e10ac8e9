// The text of `tokengate --help`: commands, options, their environment
// variables and the exit codes scripts may rely on.
#pragma once

#include <string>

namespace tokengate::cli {

std::string UsageText();

}  // namespace tokengate::cli
