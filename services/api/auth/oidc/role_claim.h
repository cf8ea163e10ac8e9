// Whether the identity provider gave a person a role: the claim at a path
// ("realm_access.roles" for Keycloak realm roles, "groups", "roles") holds a
// list of strings or one string, and one of them equals the role. Only reads
// claims of a token that is already verified.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tokengate {

// `path` is a claim name or dotted names into nested objects; a member whose
// own name contains dots ("https://example.com/roles") is found whole first.
// An empty path or role never matches.
bool ClaimHasRole(simdjson::dom::object claims, absl::string_view path, absl::string_view role);

// Service accounts a person manages through IdP groups: each string at
// `path` (found as ClaimHasRole finds it) whose last '/'-separated segment
// (Keycloak sends "/team/tokengate-sa-etl" with full group paths) matches
// `pattern`, which holds "{name}" once ("tokengate-sa-{name}"); the part in
// its place, when not empty. Sorted, without duplicates. An empty path or a
// pattern without "{name}" gives none.
std::vector<std::string> ClaimServiceAccounts(simdjson::dom::object claims, absl::string_view path,
                                              absl::string_view pattern);

}  // namespace tokengate
