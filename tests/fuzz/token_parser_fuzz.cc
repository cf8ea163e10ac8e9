// Feeds arbitrary bytes to the token parser: it must never crash, leak or
// accept. Seeds that look like tokens (prefix and dots) reach deeper code.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/base/base64url.h"
#include "common/token/token_codec.h"

namespace {

const tokengate::SigningKeyring& Keys() {
  static const auto keys =
      *tokengate::SigningKeyring::Parse("", "k1:" + std::string(40, 'a') + ",k2:" + std::string(40, 'b'));
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const tokengate::VerifyOptions options{.issuer = "tokengate", .now_unix = 1764331200};
  for (const std::string& token : {input, "personal_token_" + input}) {
    auto claims = tokengate::VerifyPersonalToken(token, Keys(), options);
    // Without the key no input may verify.
    if (claims.ok()) __builtin_trap();
  }
  (void)tokengate::Base64UrlDecode(input);
  return 0;
}
