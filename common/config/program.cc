#include "common/config/program.h"

#include <cstdlib>

#include "absl/algorithm/container.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/log.h"
#include "common/base/signals.h"
#include "common/config/version.h"

namespace tokengate {

std::string StartProgram(const ProgramSpec& spec, int argc, char** argv) {
  BlockTerminationSignals();
  SetLogProgram(spec.name);
  // Read before anything is logged (a flag is parsed too late for the flag errors).
  if (const char* format = std::getenv("TOKENGATE_LOG_FORMAT"); format != nullptr && *format != '\0') {
    const std::optional<LogFormat> parsed = ParseLogFormat(format);
    if (!parsed)
      ExitOnBadConfig(absl::StrCat("TOKENGATE_LOG_FORMAT: '", format, "' is neither text nor json"));
    SetLogFormat(*parsed);
  }
  // Abseil's own --version prints this and exits 0 while parsing argv.
  absl::FlagsUsageConfig usage;
  usage.version_string = [name = std::string(spec.name)] {
    return absl::StrCat(name, " ", Version(), " (revision ", Revision(), ")\n");
  };
  absl::SetFlagsUsageConfig(usage);
  const std::vector<std::string> args = LoadFlags(argc, argv, spec.flag_names);
  if (args.empty()) return "";
  const std::string known =
      spec.commands.empty() ? "it takes none" : absl::StrCat("known: ", absl::StrJoin(spec.commands, ", "));
  if (!absl::c_linear_search(spec.commands, args[0])) {
    ExitOnBadConfig(absl::StrCat("unknown argument '", args[0], "' (", known, ")"));
  }
  if (args.size() > 1) {
    ExitOnBadConfig(absl::StrCat("unexpected argument '", args[1], "' after ", args[0]));
  }
  return args[0];
}

}  // namespace tokengate
