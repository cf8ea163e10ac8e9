#include "common/base/files.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace tokengate {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace tokengate
