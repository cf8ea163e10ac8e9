// Where `tokengate verify` gets the token: a file (--token-file) or stdin,
// never argv. The token is kept in memory only; errors name the source,
// never the content.
#pragma once

#include <istream>
#include <string>

#include "absl/status/statusor.h"

namespace tokengate::cli {

// The token from `token_file`, or from `in` when it is empty. Surrounding
// whitespace (a trailing newline from echo or a file) is dropped. An empty
// or oversized input is a usage error.
absl::StatusOr<std::string> ReadToken(const std::string& token_file, std::istream& in);

}  // namespace tokengate::cli
