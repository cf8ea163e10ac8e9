// tokengate: the command-line client of the token authority. All of it is
// in RunCli; main only hands over the process's argv, environment and streams.
#include <grpc/support/log.h>

#include <iostream>
#include <string>
#include <vector>

#include "services/cli/cli_main.h"

namespace {
// gRPC's own log lines would break the one-line error contract on stderr;
// every failure reaches the user through RunCli's message instead.
void DiscardGrpcLog(gpr_log_func_args*) {}
}  // namespace

int main(int argc, char** argv) {
  gpr_set_log_function(DiscardGrpcLog);
  const std::vector<std::string> args(argv + 1, argv + argc);
  return tokengate::cli::RunCli(args, tokengate::cli::ProcessEnvironment(), std::cin, std::cout, std::cerr);
}
