#include "common/token/token_limits.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/base/field_error.h"
#include "common/base/names.h"

namespace tokengate {
namespace {

constexpr absl::string_view kScopeChoices = "'all:read' or 'all:write'";

// Code points of valid UTF-8.
int CharCount(absl::string_view text) {
  int count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

FieldIssue Issue(absl::string_view field, std::optional<int> index, absl::string_view code,
                 std::string message, std::string context_json = "") {
  return FieldIssue{.location = {std::string(field)},
                    .code = std::string(code),
                    .message = std::move(message),
                    .context_json = std::move(context_json),
                    .location_index = index};
}

// The list-level checks pydantic makes before looking at the entries' values.
void CheckLength(absl::string_view field, size_t size, std::vector<FieldIssue>& issues) {
  if (size <= static_cast<size_t>(kMaxLimitEntries)) return;
  issues.push_back(Issue(
      field, std::nullopt, "too_long",
      absl::StrCat("List should have at most ", kMaxLimitEntries, " items after validation, not ", size),
      absl::StrCat(R"({"field_type":"List","max_length":)", kMaxLimitEntries, R"(,"actual_length":)", size,
                   "}")));
}

// The first entry listed twice, as a value_error on the whole list.
void CheckUnique(absl::string_view field, const std::vector<std::string>& values,
                 std::vector<FieldIssue>& issues) {
  absl::flat_hash_set<absl::string_view> seen;
  for (const auto& value : values) {
    if (!seen.insert(value).second) {
      issues.push_back(Issue(field, std::nullopt, "value_error",
                             absl::StrCat("Value error, ", PythonRepr(value), " is listed twice")));
      return;
    }
  }
}

FieldIssue Wider(absl::string_view field, absl::string_view entry, absl::string_view how) {
  return Issue(field, std::nullopt, "value_error",
               absl::StrCat("Value error, ", field, " would be wider than the token's: ", PythonRepr(entry),
                            " is not ", how, " them"));
}

}  // namespace

bool NamespaceMatches(absl::string_view pattern, absl::string_view name) {
  // Greedy with one backtrack point, the last '*': linear for the usual
  // patterns, never worse than |pattern| × |name|.
  size_t p = 0, n = 0;
  size_t star = absl::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool PatternCovers(absl::string_view wide, absl::string_view narrow) {
  // covers[i][j]: wide[i..] covers narrow[j..]. A '*' of wide consumes any
  // characters of narrow, its '*'s included; a literal of wide only the same
  // literal (a '*' of narrow stands for text wide's literal need not match).
  const size_t rows = wide.size() + 1, cols = narrow.size() + 1;
  std::vector<char> covers(rows * cols, 0);
  const auto at = [&](size_t i, size_t j) -> char& { return covers[i * cols + j]; };
  at(wide.size(), narrow.size()) = 1;
  for (size_t i = wide.size(); i-- > 0;) {
    for (size_t j = narrow.size() + 1; j-- > 0;) {
      if (wide[i] == '*') {
        at(i, j) = at(i + 1, j) || (j < narrow.size() && at(i, j + 1));
      } else {
        at(i, j) = j < narrow.size() && narrow[j] != '*' && wide[i] == narrow[j] && at(i + 1, j + 1);
      }
    }
  }
  return at(0, 0);
}

std::vector<FieldIssue> CheckScopes(const std::vector<std::string>& scopes) {
  std::vector<FieldIssue> issues;
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (scopes[i] != kReadScope && scopes[i] != kWriteScope) {
      issues.push_back(Issue("scopes", static_cast<int>(i), "enum",
                             absl::StrCat("Input should be ", kScopeChoices),
                             absl::StrCat(R"({"expected":")", kScopeChoices, R"("})")));
    }
  }
  if (issues.empty()) CheckUnique("scopes", scopes, issues);
  return issues;
}

std::vector<FieldIssue> CheckNamespaces(const std::vector<std::string>& patterns) {
  std::vector<FieldIssue> issues;
  CheckLength("namespaces", patterns.size(), issues);
  if (!issues.empty()) return issues;
  for (size_t i = 0; i < patterns.size(); ++i) {
    const int index = static_cast<int>(i);
    const int chars = CharCount(patterns[i]);
    if (chars < 1) {
      issues.push_back(Issue("namespaces", index, "string_too_short",
                             "String should have at least 1 character", R"({"min_length":1})"));
    } else if (chars > kMaxNamespacePatternChars) {
      issues.push_back(
          Issue("namespaces", index, "string_too_long",
                absl::StrCat("String should have at most ", kMaxNamespacePatternChars, " characters"),
                absl::StrCat(R"({"max_length":)", kMaxNamespacePatternChars, "}")));
    } else if (absl::Status bad = CheckNoControlCharacters("namespaces", patterns[i]); !bad.ok()) {
      issues.push_back(Issue("namespaces", index, PayloadOf(bad, kCodePayload).value_or("value_error"),
                             std::string(bad.message()), PayloadOf(bad, kContextPayload).value_or("")));
    }
  }
  if (issues.empty()) CheckUnique("namespaces", patterns, issues);
  return issues;
}

std::vector<FieldIssue> CheckNetworks(const std::vector<std::string>& networks,
                                      std::vector<std::string>* canonical_networks) {
  std::vector<FieldIssue> issues;
  CheckLength("networks", networks.size(), issues);
  if (!issues.empty()) return issues;
  std::vector<std::string> canonical;
  for (size_t i = 0; i < networks.size(); ++i) {
    auto network = IpNetwork::Parse(networks[i], /*strict=*/true);
    if (!network.ok()) {
      issues.push_back(Issue("networks", static_cast<int>(i), "value_error",
                             absl::StrCat("Value error, ", network.status().message())));
    } else {
      canonical.push_back(network->ToString());
    }
  }
  if (issues.empty()) CheckUnique("networks", canonical, issues);
  if (issues.empty() && canonical_networks != nullptr) *canonical_networks = std::move(canonical);
  return issues;
}

std::optional<FieldIssue> WiderScopes(const std::vector<std::string>& current,
                                      const std::vector<std::string>& requested) {
  for (const auto& scope : requested) {
    if (std::find(current.begin(), current.end(), scope) == current.end())
      return Wider("scopes", scope, "among");
  }
  return std::nullopt;
}

std::optional<FieldIssue> WiderNamespaces(const std::vector<std::string>& current,
                                          const std::vector<std::string>& requested) {
  if (current.empty()) return std::nullopt;
  for (const auto& pattern : requested) {
    const bool covered = std::any_of(current.begin(), current.end(),
                                     [&](const std::string& wide) { return PatternCovers(wide, pattern); });
    if (!covered) return Wider("namespaces", pattern, "within");
  }
  return std::nullopt;
}

std::optional<FieldIssue> WiderNetworks(const std::vector<std::string>& current,
                                        const std::vector<std::string>& requested) {
  if (current.empty()) return std::nullopt;
  std::vector<IpNetwork> wide;
  for (const auto& text : current) {
    if (auto network = IpNetwork::Parse(text, /*strict=*/false); network.ok()) wide.push_back(*network);
  }
  for (const auto& text : requested) {
    auto narrow = IpNetwork::Parse(text, /*strict=*/false);
    const bool covered = narrow.ok() && std::any_of(wide.begin(), wide.end(), [&](const IpNetwork& network) {
                           return network.Covers(*narrow);
                         });
    if (!covered) return Wider("networks", text, "within");
  }
  return std::nullopt;
}

absl::Status StatusOf(const FieldIssue& issue) {
  return InvalidField(issue.location.back(), issue.code, issue.message, issue.context_json);
}

TokenRestrictions::TokenRestrictions(std::vector<std::string> namespaces,
                                     const std::vector<std::string>& networks)
    : namespaces_(std::move(namespaces)), limits_networks_(!networks.empty()) {
  for (const auto& text : networks) {
    if (auto network = IpNetwork::Parse(text, /*strict=*/false); network.ok()) networks_.push_back(*network);
  }
}

bool TokenRestrictions::AllowsNamespace(absl::string_view name) const {
  if (namespaces_.empty()) return true;
  return std::any_of(namespaces_.begin(), namespaces_.end(),
                     [&](const std::string& pattern) { return NamespaceMatches(pattern, name); });
}

bool TokenRestrictions::AllowsAddress(absl::string_view address) const {
  if (!limits_networks_) return true;
  std::optional<IpAddress> ip = ParseIpAddress(address);
  if (!ip) return false;
  return std::any_of(networks_.begin(), networks_.end(), [&](const IpNetwork& n) { return n.Contains(*ip); });
}

}  // namespace tokengate
