// Text shaped like a personal token that no key signed, built here rather
// than committed as a literal: what the CLI must recognise on its command line
// and never repeat.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/base64url.h"

namespace tokengate::cli {

inline std::string JwtShapedText() {
  return absl::StrCat(Base64UrlEncode(R"({"alg":"HS256"})"), ".", Base64UrlEncode(R"({"jti":"0193"})"), ".",
                      Base64UrlEncode("signature-bytes"));
}

inline std::string TokenShapedText() { return "personal_token_" + JwtShapedText(); }

}  // namespace tokengate::cli
