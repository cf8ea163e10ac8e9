#include "common/http/client_address.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tokengate {
namespace {

struct Ip {
  std::array<uint8_t, 16> bytes{};
  int size = 4;
};

// An address as inet_pton reads it, IPv6 optionally in brackets; IPv4-mapped
// IPv6 becomes IPv4, so a dual-stack socket's peer matches IPv4 networks.
std::optional<Ip> ParseIp(absl::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  Ip ip;
  if (inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) return ip;
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMapped, sizeof(kMapped)) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    ip.size = 4;
    return ip;
  }
  ip.size = 16;
  return ip;
}

// An X-Forwarded-For entry: an address, "[v6]:port" or "v4:port" (some
// proxies add the port).
std::optional<Ip> ParseForwardedEntry(absl::string_view entry) {
  if (auto ip = ParseIp(entry)) return ip;
  const size_t colon = entry.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  int port = 0;
  if (!absl::SimpleAtoi(entry.substr(colon + 1), &port) || port < 0 || port > 65535) return std::nullopt;
  absl::string_view host = entry.substr(0, colon);
  const bool bracketed = !host.empty() && host.front() == '[';
  // "v6:port" without brackets is ambiguous (the port reads as a group): refused.
  if (!bracketed && absl::StrContains(host, ':')) return std::nullopt;
  return ParseIp(host);
}

std::string Text(const Ip& ip) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.size == 4 ? AF_INET : AF_INET6, ip.bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies proxies;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const std::vector<absl::string_view> parts = absl::StrSplit(entry, absl::MaxSplits('/', 1));
    std::optional<Ip> ip = ParseIp(parts[0]);
    if (!ip) return absl::InvalidArgumentError(absl::StrCat("'", entry, "' is not an IP address or CIDR"));
    Network network{.bytes = ip->bytes, .size = ip->size, .prefix_bits = ip->size * 8};
    if (parts.size() == 2) {
      int bits = -1;
      if (!absl::SimpleAtoi(parts[1], &bits) || bits < 0 || bits > ip->size * 8) {
        return absl::InvalidArgumentError(absl::StrCat("'", entry, "' has a bad prefix length"));
      }
      network.prefix_bits = bits;
    }
    proxies.networks_.push_back(network);
  }
  return proxies;
}

bool TrustedProxies::Contains(absl::string_view address) const {
  std::optional<Ip> ip = ParseIp(address);
  if (!ip) return false;
  for (const Network& network : networks_) {
    if (network.size != ip->size) continue;
    int bits = network.prefix_bits;
    bool inside = true;
    for (int i = 0; bits > 0 && inside; ++i, bits -= 8) {
      const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
      inside = (network.bytes[i] & mask) == (ip->bytes[i] & mask);
    }
    if (inside) return true;
  }
  return false;
}

std::string ClientAddress(absl::string_view peer, absl::Span<const absl::string_view> forwarded_for,
                          const TrustedProxies& trusted) {
  std::optional<Ip> peer_ip = ParseIp(peer);
  if (!peer_ip) return std::string(peer);  // Not an IP socket (never on these edges): as given.
  std::string candidate = Text(*peer_ip);
  if (trusted.empty() || !trusted.Contains(candidate)) return candidate;
  std::vector<absl::string_view> hops;
  for (absl::string_view field : forwarded_for) {
    for (absl::string_view entry : absl::StrSplit(field, ',')) hops.push_back(absl::StripAsciiWhitespace(entry));
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    std::optional<Ip> hop = ParseForwardedEntry(*it);
    if (!hop) break;  // The trusted hop at `candidate` passed on something unreadable.
    candidate = Text(*hop);
    if (!trusted.Contains(candidate)) break;
  }
  return candidate;
}

std::string ClientAddressOf(const HttpRequest& request, const TrustedProxies& trusted) {
  if (trusted.empty()) return ClientAddress(request.peer_address(), {}, trusted);
  return ClientAddress(request.peer_address(), request.HeaderValues(kForwardedForHeader), trusted);
}

std::string UserAgentOf(const HttpRequest& request) {
  std::optional<std::string> agent = request.Header("User-Agent");
  if (!agent) return "";
  if (agent->size() > kMaxUserAgentBytes) agent->resize(kMaxUserAgentBytes);
  for (char& c : *agent) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return *std::move(agent);
}

}  // namespace tokengate
