// Configuration loading shared by every binary: each absl flag `name` may also
// come from the environment as TOKENGATE_NAME, or from a file named by
// TOKENGATE_NAME_FILE (how Kubernetes mounts secrets). The command line wins.
// Validation of values belongs to the config struct of each binary or shared
// block (http_edge_config.h, verify_client_config.h, …), in one place.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

// Applies the environment to the flags in `flag_names`, then parses argv.
// Returns the positional arguments (argv[0] excluded). A value that does not
// parse exits with one line naming the variable.
std::vector<std::string> LoadFlags(int argc, char** argv, const std::vector<std::string>& flag_names);

// The effective values of `flag_names` as one log line each, secrets masked.
void LogEffectiveConfig(const std::vector<std::string>& flag_names);

// Prints "invalid configuration: <message>" and exits 2.
[[noreturn]] void ExitOnBadConfig(absl::string_view message);

// "TOKENGATE_" + upper-case name.
std::string EnvNameOf(absl::string_view flag_name);
// A value for display: secrets become "<set>"/"<empty>", URI passwords "***".
std::string MaskedValue(absl::string_view flag_name, absl::string_view value);

// "TOKENGATE_X: <why>" as INVALID_ARGUMENT: how every check of a config block
// names the setting it refuses.
absl::Status BadFlag(absl::string_view flag_name, absl::string_view why);
template <typename T>
absl::Status BadFlag(const absl::Flag<T>& flag, absl::string_view why) {
  return BadFlag(absl::GetFlagReflectionHandle(flag).Name(), why);
}

// Mutual TLS needs the certificate, key and CA files together, or none.
absl::Status CheckTlsFiles(absl::string_view cert, absl::string_view key, absl::string_view ca);

// One flag of a config block, listed next to its ABSL_FLAG: the list gives the
// names LoadFlags and LogEffectiveConfig take, and the bounds of an int flag
// that has them, so a flag's name is written once (its FLAGS_ object is what
// the list holds).
struct ConfigFlag {
  template <typename T>
  ConfigFlag(const absl::Flag<T>& flag) : name(absl::GetFlagReflectionHandle(flag).Name()) {}
  // An int flag that must stay within min..max; `note` is added to the
  // refusal in parentheses ("0: no limit").
  ConfigFlag(const absl::Flag<int>& flag, int min, int max, absl::string_view note = {})
      : name(absl::GetFlagReflectionHandle(flag).Name()), bounded(&flag), min(min), max(max), note(note) {}

  absl::string_view name;
  const absl::Flag<int>* bounded = nullptr;
  int min = 0;
  int max = 0;
  absl::string_view note;
};
// A block's flags, in the order they are logged.
using FlagList = std::vector<ConfigFlag>;

// The first bounded flag of `flags` outside its bounds, named by its
// environment variable ("TOKENGATE_X: must be within a..b"); OK when all fit.
absl::Status CheckRanges(const FlagList& flags);
// The names of every flag of `lists`, in order: a binary's ProgramSpec.flag_names.
std::vector<std::string> FlagNames(std::initializer_list<const FlagList*> lists);

// host:port → (host, port); port 0 allowed (pick a free one).
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(absl::string_view text);
// A gRPC target for the authority: "host:port", or several replicas as
// "ipv4:host:port,host:port" (tried in order; a lost one is replaced by the
// next), or "dns:///name:port". Every address needs a port.
absl::Status CheckAuthorityAddress(absl::string_view text);

}  // namespace tokengate
