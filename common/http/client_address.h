// Where a request came from, for the audit trail: the TCP peer, or, only when
// that peer is one of the configured trusted proxies, the right-most
// X-Forwarded-For address that is not itself a trusted proxy. A client that
// reaches the edge directly cannot choose the address recorded for it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/base/ip_network.h"
#include "common/http/router.h"

namespace tokengate {

inline constexpr char kForwardedForHeader[] = "X-Forwarded-For";

class TrustedProxies {
 public:
  TrustedProxies() = default;  // Trusts nobody.
  // Comma-separated CIDRs or single addresses ("10.0.0.0/8, 127.0.0.1, ::1/128");
  // empty: none. INVALID_ARGUMENT names the bad entry.
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view list);

  // `address` is an IP address (IPv4-mapped IPv6 counts as IPv4) inside one of the networks.
  bool Contains(absl::string_view address) const;
  bool empty() const { return networks_.empty(); }

 private:
  std::vector<IpNetwork> networks_;
};

// The client's address (canonical text, e.g. "203.0.113.7", "2001:db8::1").
// `forwarded_for`: every X-Forwarded-For field value, in the order received.
// From a trusted peer the list is walked from the right, skipping trusted
// proxies; an entry that is not an address (garbage, "unknown") stops the walk
// at the hop that sent it. From any other peer the header is ignored.
std::string ClientAddress(absl::string_view peer, absl::Span<const absl::string_view> forwarded_for,
                          const TrustedProxies& trusted);

// ClientAddress of a request as the server received it.
std::string ClientAddressOf(const HttpRequest& request, const TrustedProxies& trusted);

// The User-Agent for the audit trail: printable ASCII only (anything else
// becomes '?', so the value is valid UTF-8 for protobuf and safe in logs),
// at most kMaxUserAgentBytes; "" when absent.
inline constexpr size_t kMaxUserAgentBytes = 256;
std::string UserAgentOf(const HttpRequest& request);

}  // namespace tokengate
