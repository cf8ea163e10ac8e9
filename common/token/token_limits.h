// A personal token's least privilege (issue 21): which scopes it holds, which
// OpenLineage namespaces it may touch and which client networks it may be
// used from. One set of rules for everyone: the api checks a request body with
// them (pydantic-shaped 422s), the authority checks every IssueToken and
// RefreshToken with them (and refuses widening), the edges match events and
// client addresses with them. No I/O; never sees token content.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/base/field_error.h"
#include "common/base/ip_network.h"

namespace tokengate {

inline constexpr char kReadScope[] = "all:read";
inline constexpr char kWriteScope[] = "all:write";
inline constexpr int kMaxLimitEntries = 20;
inline constexpr int kMaxNamespacePatternChars = 255;
// The message of both edges' 403 for a request from outside a token's networks.
inline constexpr char kAddressNotAllowed[] = "token not allowed from this address";

// `*` matches any run of characters (none too); every other character only
// itself, case-sensitively.
bool NamespaceMatches(absl::string_view pattern, absl::string_view name);
// Every namespace `narrow` matches, `wide` matches too. Sufficient, not
// complete: `wide` must match `narrow`'s text with each of narrow's `*`
// consumed by one of wide's `*`.
bool PatternCovers(absl::string_view wide, absl::string_view narrow);

// The checks below answer FieldIssues (field_error.h) in pydantic's words:
// `location` is {"scopes"}, {"namespaces"} or {"networks"} (the REST edge
// puts "body" in front), `location_index` set when one entry is at fault.
// Given lists (an empty one means "not given"). Scopes: known, each once.
// Namespaces: ≤ 20 patterns of 1..255 characters, no control characters, each
// once. Networks: ≤ 20 CIDRs or addresses, no host bits, each once; their
// canonical text ("192.0.2.7" → "192.0.2.7/32") goes to `canonical_networks`.
std::vector<FieldIssue> CheckScopes(const std::vector<std::string>& scopes);
std::vector<FieldIssue> CheckNamespaces(const std::vector<std::string>& patterns);
std::vector<FieldIssue> CheckNetworks(const std::vector<std::string>& networks,
                                      std::vector<std::string>* canonical_networks = nullptr);

// Refresh may narrow, never widen: an issue on the field when `requested`
// (non-empty) reaches beyond `current` (empty current: no limit, so anything
// narrows it). Lists must have passed the checks above.
std::optional<FieldIssue> WiderScopes(const std::vector<std::string>& current,
                                      const std::vector<std::string>& requested);
std::optional<FieldIssue> WiderNamespaces(const std::vector<std::string>& current,
                                          const std::vector<std::string>& requested);
std::optional<FieldIssue> WiderNetworks(const std::vector<std::string>& current,
                                        const std::vector<std::string>& requested);

// The issue as an INVALID_ARGUMENT naming its field (field_error.h), for the
// authority's answer.
absl::Status StatusOf(const FieldIssue& issue);

// What an edge enforces, built once per verify answer (and cached with it).
class TokenRestrictions {
 public:
  TokenRestrictions() = default;  // No limits.
  // From the authority's answer. A network that does not parse (never written
  // by the authority) is dropped, and a token whose every network was dropped
  // is allowed from nowhere: fail closed.
  TokenRestrictions(std::vector<std::string> namespaces, const std::vector<std::string>& networks);

  const std::vector<std::string>& namespaces() const { return namespaces_; }
  bool limits_networks() const { return limits_networks_; }
  // True without namespace limits, else when a pattern matches `name`.
  bool AllowsNamespace(absl::string_view name) const;
  // True without network limits, else when `address` (an IP address's text)
  // lies in one of the networks.
  bool AllowsAddress(absl::string_view address) const;

 private:
  std::vector<std::string> namespaces_;
  std::vector<IpNetwork> networks_;
  bool limits_networks_ = false;
};

}  // namespace tokengate
