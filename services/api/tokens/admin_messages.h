// REST ↔ contract for a token's audit history and the administration
// endpoints: query checks with pydantic's codes, and the answers in the page
// shape of the other list endpoints ({"meta": {...}, "items": [{"id", "data"}]}).
// No I/O.
#pragma once

#include <string>

#include "common/http/url_encoded.h"
#include "services/api/tokens/personal_token_messages.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

struct PageQuery {
  int page = 1;
  int page_size = kDefaultPageSize;
};

struct AdminListQuery {
  PageQuery page;
  std::string user;          // "": every user.
  bool active_only = false;  // Only live (not revoked, not expired) tokens.
};

// pydantic's lax bool from a query string ("true", "1", "no", …), or a bool_parsing issue.
void ParseQueryBool(const std::string& name, const std::string& value, bool* out,
                    std::vector<FieldIssue>& issues);
// GET /v1/personal-tokens/{id}/events?page=&page_size=
Validated<PageQuery> ParsePageQuery(const UrlParams& query);
// GET /v1/admin/personal-tokens?user=&active=&page=&page_size=
Validated<AdminListQuery> ParseAdminListQuery(const UrlParams& query);

// Items {"id": event id, "data": {id, at, event, actor_kind, actor_name,
// user_name, token_id, token_name, client_address, user_agent, request_id,
// detail}}, newest first; `at` is UTC with milliseconds.
std::string EventsJson(const PageQuery& query, const v1::ListTokenEventsResponse& response);
// Token items as in the owner's list, plus user_name, revoked_at, last_used_from.
std::string AdminListJson(const AdminListQuery& query, const v1::AdminListTokensResponse& response);
// The members "revoked_count": N, "token_ids": [...] of an open object.
void WriteRevokedIds(JsonWriter& json, int32_t count,
                     const google::protobuf::RepeatedPtrField<std::string>& ids);
// {"revoked_count": N, "token_ids": [...]}, and "removed_from_service_accounts": [names] when any
std::string RevokedUserTokensJson(const v1::RevokeUserTokensResponse& response);

}  // namespace tokengate
