// Configuration loading shared by every binary: each absl flag `name` may also
// come from the environment as TOKENGATE_NAME, or from a file named by
// TOKENGATE_NAME_FILE (how Kubernetes mounts secrets). The command line wins.
// Validation of values belongs to each binary's config struct, in one place.
#pragma once

#include "absl/strings/string_view.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

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

// Mutual TLS needs the certificate, key and CA files together, or none.
absl::Status CheckTlsFiles(absl::string_view cert, absl::string_view key, absl::string_view ca);

// An integer flag's value and the bounds it must keep, for CheckRanges.
struct FlagRange {
  const char* flag;
  int value;
  int min;
  int max;
};
// The first flag outside its bounds, named by its environment variable
// ("TOKENGATE_X: must be within a..b"); OK when every value fits.
absl::Status CheckRanges(std::initializer_list<FlagRange> ranges);

// host:port → (host, port); port 0 allowed (pick a free one).
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(absl::string_view text);
// A gRPC target for the authority: "host:port", or several replicas as
// "ipv4:host:port,host:port" (tried in order; a lost one is replaced by the
// next), or "dns:///name:port". Every address needs a port.
absl::Status CheckAuthorityAddress(absl::string_view text);

}  // namespace tokengate
