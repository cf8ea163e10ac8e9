#include "common/base/uuid.h"

#include <array>
#include <cstdio>
#include <stdexcept>

#include <openssl/rand.h>

#include "absl/strings/ascii.h"

namespace tokengate {

std::string NewUuidV7(int64_t unix_ms) {
  std::array<uint8_t, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // Without randomness a token id could be guessed: stop rather than go on.
    throw std::runtime_error("RAND_bytes failed");
  }
  const auto ms = static_cast<uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0F));
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));
  char out[37];
  std::snprintf(out, sizeof(out), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::optional<std::string> CanonicalUuid(absl::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position) {
      if (out[i] != '-') return std::nullopt;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(out[i]))) {
      return std::nullopt;
    }
    out[i] = absl::ascii_tolower(static_cast<unsigned char>(out[i]));
  }
  return out;
}

std::optional<int64_t> UuidV7UnixMs(absl::string_view uuid) {
  const auto canonical = CanonicalUuid(uuid);
  if (!canonical || (*canonical)[14] != '7') return std::nullopt;
  int64_t ms = 0;
  for (char c : canonical->substr(0, 8) + canonical->substr(9, 4)) {
    ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return ms;
}

}  // namespace tokengate
