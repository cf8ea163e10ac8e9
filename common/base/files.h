// Whole-file reads for configuration inputs (secrets, certificates): the
// error names the path, never the content.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace tokengate {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace tokengate
