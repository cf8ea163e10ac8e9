// tokengate: the command-line client of the token authority. All of it is
// in RunCli; main only hands over the process's argv, environment and streams.
#include <iostream>
#include <string>
#include <vector>

#include <grpc/grpc.h>
#include <grpc/support/log.h>

#include "services/cli/cli_main.h"

namespace {
// gRPC's own log lines would break the one-line error contract on stderr;
// every failure reaches the user through RunCli's message instead.
void DiscardGrpcLog(gpr_log_func_args*) {}
}  // namespace

int main(int argc, char** argv) {
  gpr_set_log_function(DiscardGrpcLog);
  // gRPC tears its core down on a thread of its own once the last channel is
  // gone; a short-lived process can exit before that (its TLS contexts then
  // look leaked). Holding a reference here and dropping it with a blocking
  // shutdown ends gRPC before main returns.
  grpc_init();
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code =
      tokengate::cli::RunCli(args, tokengate::cli::ProcessEnvironment(), std::cin, std::cout, std::cerr);
  grpc_shutdown_blocking();
  return code;
}
