#include "services/api/auth/oidc/role_claim.h"

#include <string_view>

namespace tokengate {
namespace {

bool Holds(simdjson::dom::element value, absl::string_view role) {
  std::string_view text;
  const std::string_view wanted(role.data(), role.size());
  if (value.get_string().get(text) == simdjson::SUCCESS) return text == wanted;
  simdjson::dom::array list;
  if (value.get_array().get(list) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element item : list) {
    if (item.get_string().get(text) == simdjson::SUCCESS && text == wanted) return true;
  }
  return false;
}

}  // namespace

bool ClaimHasRole(simdjson::dom::object claims, absl::string_view path, absl::string_view role) {
  if (path.empty() || role.empty()) return false;
  simdjson::dom::element whole;
  if (claims.at_key(std::string_view(path.data(), path.size())).get(whole) == simdjson::SUCCESS) {
    return Holds(whole, role);
  }
  const size_t dot = path.find('.');
  if (dot == absl::string_view::npos) return false;
  simdjson::dom::object inner;
  if (claims.at_key(std::string_view(path.data(), dot)).get_object().get(inner) != simdjson::SUCCESS) {
    return false;
  }
  return ClaimHasRole(inner, path.substr(dot + 1), role);
}

}  // namespace tokengate
