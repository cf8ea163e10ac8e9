#include "common/http/request_id.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"

namespace tokengate {
namespace {

constexpr size_t kMaxClientIdLength = 128;

bool Acceptable(const std::string& value) {
  if (value.empty() || value.size() > kMaxClientIdLength) return false;
  for (const char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string NewRequestId() {
  thread_local absl::BitGen gen;
  const uint64_t high = absl::Uniform<uint64_t>(gen);
  const uint64_t low = absl::Uniform<uint64_t>(gen);
  // Version 4, variant 10xx (RFC 4122 §4.4).
  const uint64_t h = (high & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  const uint64_t l = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  // Hand-rolled: this runs on every request and StrFormat showed in profiles.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  int pos = 0;
  for (int nibble = 0; nibble < 32; ++nibble) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
    const uint64_t word = nibble < 16 ? h : l;
    id[pos++] = kHex[(word >> (60 - 4 * (nibble % 16))) & 0xF];
  }
  return id;
}

std::string RequestIdFrom(const std::optional<std::string>& client_value) {
  if (client_value && Acceptable(*client_value)) return *client_value;
  return NewRequestId();
}

}  // namespace tokengate
