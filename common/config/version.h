// What the binaries report with --version and the image carries as labels:
// the release (the CMake project version, which is the helm chart's
// appVersion) and the git revision the binary was built from.
#pragma once

#include "absl/strings/string_view.h"

namespace tokengate {

absl::string_view Version();
// The commit hash; "-dirty" appended when tracked files differed from it,
// "unknown" outside a git checkout.
absl::string_view Revision();

}  // namespace tokengate
