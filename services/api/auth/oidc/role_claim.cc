#include "services/api/auth/oidc/role_claim.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "absl/strings/match.h"

namespace tokengate {
namespace {

// The strings of a claim value: itself when a string, its string items when a list.
std::vector<absl::string_view> Strings(simdjson::dom::element value) {
  std::vector<absl::string_view> out;
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    out.emplace_back(text.data(), text.size());
    return out;
  }
  simdjson::dom::array list;
  if (value.get_array().get(list) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element item : list) {
    if (item.get_string().get(text) == simdjson::SUCCESS) out.emplace_back(text.data(), text.size());
  }
  return out;
}

// The value at `path`: a member whose own name holds dots first, then nested objects.
std::optional<simdjson::dom::element> AtPath(simdjson::dom::object claims, absl::string_view path) {
  if (path.empty()) return std::nullopt;
  simdjson::dom::element whole;
  if (claims.at_key(std::string_view(path.data(), path.size())).get(whole) == simdjson::SUCCESS) return whole;
  const size_t dot = path.find('.');
  if (dot == absl::string_view::npos) return std::nullopt;
  simdjson::dom::object inner;
  if (claims.at_key(std::string_view(path.data(), dot)).get_object().get(inner) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return AtPath(inner, path.substr(dot + 1));
}

}  // namespace

bool ClaimHasRole(simdjson::dom::object claims, absl::string_view path, absl::string_view role) {
  if (role.empty()) return false;
  auto value = AtPath(claims, path);
  if (!value) return false;
  const std::vector<absl::string_view> held = Strings(*value);
  return std::find(held.begin(), held.end(), role) != held.end();
}

std::vector<std::string> ClaimServiceAccounts(simdjson::dom::object claims, absl::string_view path,
                                              absl::string_view pattern) {
  std::vector<std::string> names;
  constexpr absl::string_view kName = "{name}";
  const size_t at = pattern.find(kName);
  auto value = AtPath(claims, path);
  if (at == absl::string_view::npos || !value) return names;
  const absl::string_view prefix = pattern.substr(0, at);
  const absl::string_view suffix = pattern.substr(at + kName.size());
  for (absl::string_view group : Strings(*value)) {
    if (const size_t slash = group.rfind('/'); slash != absl::string_view::npos)
      group.remove_prefix(slash + 1);
    if (group.size() <= prefix.size() + suffix.size()) continue;
    if (!absl::StartsWith(group, prefix) || !absl::EndsWith(group, suffix)) continue;
    names.emplace_back(group.substr(prefix.size(), group.size() - prefix.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace tokengate
