// Whether the identity provider gave a person a role: the claim at a path
// ("realm_access.roles" for Keycloak realm roles, "groups", "roles") holds a
// list of strings or one string, and one of them equals the role. Only reads
// claims of a token that is already verified.
#pragma once

#include <simdjson.h>

#include "absl/strings/string_view.h"

namespace tokengate {

// `path` is a claim name or dotted names into nested objects; a member whose
// own name contains dots ("https://example.com/roles") is found whole first.
// An empty path or role never matches.
bool ClaimHasRole(simdjson::dom::object claims, absl::string_view path, absl::string_view role);

}  // namespace tokengate
