#include "common/http/client_address.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

// An X-Forwarded-For entry: an address, "[v6]:port" or "v4:port" (some
// proxies add the port).
std::optional<IpAddress> ParseForwardedEntry(absl::string_view entry) {
  if (auto ip = ParseIpAddress(entry)) return ip;
  const size_t colon = entry.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  int port = 0;
  if (!absl::SimpleAtoi(entry.substr(colon + 1), &port) || port < 0 || port > 65535) return std::nullopt;
  absl::string_view host = entry.substr(0, colon);
  const bool bracketed = !host.empty() && host.front() == '[';
  // "v6:port" without brackets is ambiguous (the port reads as a group): refused.
  if (!bracketed && absl::StrContains(host, ':')) return std::nullopt;
  return ParseIpAddress(host);
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies proxies;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    TG_ASSIGN_OR_RETURN(auto network, IpNetwork::Parse(absl::StripAsciiWhitespace(entry), /*strict=*/false));
    proxies.networks_.push_back(network);
  }
  return proxies;
}

bool TrustedProxies::Contains(absl::string_view address) const {
  std::optional<IpAddress> ip = ParseIpAddress(address);
  if (!ip) return false;
  for (const IpNetwork& network : networks_) {
    if (network.Contains(*ip)) return true;
  }
  return false;
}

std::string ClientAddress(absl::string_view peer, absl::Span<const absl::string_view> forwarded_for,
                          const TrustedProxies& trusted) {
  std::optional<IpAddress> peer_ip = ParseIpAddress(peer);
  if (!peer_ip) return std::string(peer);  // Not an IP socket (never on these edges): as given.
  std::string candidate = IpAddressText(*peer_ip);
  if (trusted.empty() || !trusted.Contains(candidate)) return candidate;
  std::vector<absl::string_view> hops;
  for (absl::string_view field : forwarded_for) {
    for (absl::string_view entry : absl::StrSplit(field, ','))
      hops.push_back(absl::StripAsciiWhitespace(entry));
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    std::optional<IpAddress> hop = ParseForwardedEntry(*it);
    if (!hop) break;  // The trusted hop at `candidate` passed on something unreadable.
    candidate = IpAddressText(*hop);
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
