// IP addresses and networks (CIDRs), IPv4 and IPv6: the one parser behind the
// trusted proxies (common/http/client_address.h) and a personal token's networks
// (common/token/token_limits.h). IPv4-mapped IPv6 counts as IPv4, so a
// dual-stack socket's peer matches IPv4 networks. No I/O, no name lookups.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  int size = 4;  // 4 or 16 bytes.
};

// An address as inet_pton reads it, IPv6 optionally in brackets.
std::optional<IpAddress> ParseIpAddress(absl::string_view text);
// Canonical text: "203.0.113.7", "2001:db8::1".
std::string IpAddressText(const IpAddress& ip);

class IpNetwork {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a single host).
  // `strict`: bits beyond the prefix must be zero ("10.0.0.1/8" is refused,
  // as Python's ip_network refuses it); otherwise they are ignored.
  // INVALID_ARGUMENT quotes the text and says what is wrong.
  static absl::StatusOr<IpNetwork> Parse(absl::string_view text, bool strict);

  bool Contains(const IpAddress& ip) const;
  // Every address of `other` is in this network.
  bool Covers(const IpNetwork& other) const;
  // "10.0.0.0/8", "::1/128".
  std::string ToString() const;

 private:
  IpAddress base_;
  int prefix_bits_ = 32;
};

}  // namespace tokengate
