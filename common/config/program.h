// The start every binary's main() shares: block SIGTERM/SIGINT before any
// thread exists, name the log and pick its format (TOKENGATE_LOG_FORMAT: text,
// the default, or json), load flags from the environment and argv
// (answering --version), refuse arguments the binary does not know, then
// validate its config and log the effective values. Bad input exits 2.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/config/config.h"

namespace tokengate {

struct ProgramSpec {
  absl::string_view name;
  std::vector<std::string> flag_names;
  // Commands the binary takes as its one positional argument ("migrate").
  std::vector<std::string> commands;
};

// Everything up to the config; returns the command given, "" for none.
std::string StartProgram(const ProgramSpec& spec, int argc, char** argv);

template <typename Config>
struct StartedProgram {
  std::string command;
  Config config;
};

template <typename Config>
StartedProgram<Config> StartProgram(const ProgramSpec& spec, int argc, char** argv,
                                    absl::StatusOr<Config> (*config_from_flags)()) {
  std::string command = StartProgram(spec, argc, argv);
  absl::StatusOr<Config> config = config_from_flags();
  if (!config.ok()) ExitOnBadConfig(config.status().message());
  LogEffectiveConfig(spec.flag_names);
  return {std::move(command), *std::move(config)};
}

}  // namespace tokengate
