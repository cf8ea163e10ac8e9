#include "common/base/ip_network.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokengate {
namespace {

// The mask of byte `i` under a prefix of `bits`.
uint8_t MaskByte(int bits, int i) {
  const int left = bits - 8 * i;
  if (left >= 8) return 0xff;
  if (left <= 0) return 0;
  return static_cast<uint8_t>(0xff << (8 - left));
}

bool SamePrefix(const IpAddress& a, const IpAddress& b, int bits) {
  for (int i = 0; i < a.size && 8 * i < bits; ++i) {
    if ((a.bytes[i] & MaskByte(bits, i)) != (b.bytes[i] & MaskByte(bits, i))) return false;
  }
  return true;
}

}  // namespace

std::optional<IpAddress> ParseIpAddress(absl::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  IpAddress ip;
  if (inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) return ip;
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMapped, sizeof(kMapped)) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::memset(ip.bytes.data() + 4, 0, 12);
    ip.size = 4;
    return ip;
  }
  ip.size = 16;
  return ip;
}

std::string IpAddressText(const IpAddress& ip) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.size == 4 ? AF_INET : AF_INET6, ip.bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

absl::StatusOr<IpNetwork> IpNetwork::Parse(absl::string_view text, bool strict) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
  std::optional<IpAddress> ip = ParseIpAddress(parts[0]);
  if (!ip) return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IP address or CIDR"));
  IpNetwork network;
  network.base_ = *ip;
  network.prefix_bits_ = ip->size * 8;
  if (parts.size() == 2) {
    int bits = -1;
    if (parts[1].empty() || parts[1].size() > 3 || !absl::SimpleAtoi(parts[1], &bits) || bits < 0 ||
        bits > ip->size * 8) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' has a bad prefix length"));
    }
    network.prefix_bits_ = bits;
  }
  for (int i = 0; i < ip->size; ++i) {
    const uint8_t masked = ip->bytes[i] & MaskByte(network.prefix_bits_, i);
    if (strict && masked != ip->bytes[i]) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' has host bits set"));
    }
    network.base_.bytes[i] = masked;
  }
  return network;
}

bool IpNetwork::Contains(const IpAddress& ip) const {
  return ip.size == base_.size && SamePrefix(base_, ip, prefix_bits_);
}

bool IpNetwork::Covers(const IpNetwork& other) const {
  return other.base_.size == base_.size && other.prefix_bits_ >= prefix_bits_ && Contains(other.base_);
}

std::string IpNetwork::ToString() const { return absl::StrCat(IpAddressText(base_), "/", prefix_bits_); }

}  // namespace tokengate
