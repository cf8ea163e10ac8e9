#include "services/cli/token_input.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tokengate::cli {
namespace {

// Tokens are a few hundred bytes; anything this big is not one.
constexpr size_t kMaxTokenBytes = 16 * 1024;

absl::StatusOr<std::string> ReadBounded(std::istream& in, const std::string& source) {
  std::string content;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    content.append(buffer, static_cast<size_t>(in.gcount()));
    if (content.size() > kMaxTokenBytes) {
      return absl::InvalidArgumentError(absl::StrCat(source, " holds more than 16 KiB: not a token"));
    }
  }
  std::string token(absl::StripAsciiWhitespace(content));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no token in ", source, " (pipe it on stdin, or use --token-file PATH)"));
  }
  return token;
}

}  // namespace

absl::StatusOr<std::string> ReadToken(const std::string& token_file, std::istream& in) {
  if (token_file.empty()) return ReadBounded(in, "stdin");
  std::ifstream file(token_file, std::ios::binary);
  if (!file) return absl::InvalidArgumentError(absl::StrCat("--token-file: cannot read ", token_file));
  return ReadBounded(file, token_file);
}

}  // namespace tokengate::cli
