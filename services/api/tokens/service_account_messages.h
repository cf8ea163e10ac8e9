// REST ↔ contract for service accounts (issue 23): the admin's create body
// and query, and the answers in the page shape of the other list endpoints.
// No I/O; the authority checks the name's rules.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "services/api/tokens/admin_messages.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

struct ServiceAccountBody {
  std::string name;
  std::string description;
  std::string email;
  std::string webhook_url;
};

struct ServiceAccountsQuery {
  PageQuery page;
  bool include_disabled = false;
};

// POST /v1/admin/service-accounts {"name": str, "description"?, "email"?,
// "webhook_url"?: str | null}; nothing else allowed.
Validated<ServiceAccountBody> ParseServiceAccountBody(absl::string_view body);
// GET /v1/admin/service-accounts?include_disabled=&page=&page_size=
Validated<ServiceAccountsQuery> ParseServiceAccountsQuery(const UrlParams& query);

// {"id": name, "data": {name, owner_name, description, email, webhook_url,
// created_at, disabled_at[, managers]}}; managers in admin answers only.
std::string ServiceAccountJson(const v1::ServiceAccount& account, bool admin_view);
std::string ServiceAccountsJson(const ServiceAccountsQuery& query,
                                const v1::ListServiceAccountsResponse& response);
// The accounts a person manages: {"items": [...]} (never many: no pages).
std::string ManagedServiceAccountsJson(const v1::ListManagedServiceAccountsResponse& response);
// {"revoked_count": N, "token_ids": [...]}
std::string DisabledServiceAccountJson(const v1::DisableServiceAccountResponse& response);

}  // namespace tokengate
