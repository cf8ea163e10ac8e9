// REST ↔ contract for personal tokens: validates what clients send the way
// Data.Rentgen (pydantic) does, with its error codes, and renders the
// authority's answers in Data.Rentgen's response shapes. No I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/base/json_writer.h"
#include "common/http/error_body.h"
#include "common/http/url_encoded.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

inline constexpr int kMaxTokenNameChars = 64;
inline constexpr int kMaxPageSize = 50;
inline constexpr int kDefaultPageSize = 20;

template <typename T>
struct Validated {
  std::optional<T> value;
  std::vector<FieldIssue> issues;  // Non-empty exactly when value is empty.
};

struct ListQuery {
  int page = 1;
  int page_size = kDefaultPageSize;
  std::vector<std::string> token_ids;
};
// A token's limits as a client sends them (issue 21), checked by the rules
// of common/token/token_limits.h; an absent or null list is empty.
struct LimitsBody {
  std::vector<std::string> scopes;
  std::vector<std::string> namespaces;
  std::vector<std::string> networks;
};
struct CreateBody {
  std::string name;
  std::string until;  // "" = the authority's default (today + max duration).
  LimitsBody limits;
};
struct RefreshBody {
  std::string until;
  LimitsBody limits;  // Narrowing only; the authority refuses anything wider.
  // Rotation (issue 24): how long the old content keeps working; 0 (absent or
  // null): it dies now, as in Data.Rentgen. The authority applies the cap.
  int grace_seconds = 0;
};

// GET /v1/personal-tokens?page=&page_size=&personal_token_id=
Validated<ListQuery> ParseListQuery(const UrlParams& query);
// POST body {"name": str, "until": "YYYY-MM-DD" | null, "scopes"?, "namespaces"?,
// "networks"?}; nothing else allowed.
Validated<CreateBody> ParseCreateBody(absl::string_view body);
// PATCH body {"until": "YYYY-MM-DD" | null, "scopes"?, "namespaces"?, "networks"?,
// "grace_seconds"?: int >= 0 | null}.
Validated<RefreshBody> ParseRefreshBody(absl::string_view body);
// The {id} path segment, canonical lowercase UUID.
Validated<std::string> ParseTokenId(absl::string_view text);

inline constexpr int kMaxLeakReportContents = 100;
// Far above any real token; longer strings are refused as pydantic refuses them.
inline constexpr int kMaxReportedContentChars = 4096;
// POST /v1/personal-tokens/revoke body: {"content": str} or
// {"contents": [str, …]} with 1..100 items; nothing else allowed.
Validated<std::vector<std::string>> ParseLeakReportBody(absl::string_view body);

// A page's "meta" member: {page, page_size, total_count, pages_count,
// has_next, has_previous, next_page, previous_page}, Data.Rentgen's arithmetic.
void WritePageMeta(JsonWriter& json, int page, int page_size, int64_t total_count, int items_on_page);
// A page query's page and page_size (pydantic's checks); other parameters are left alone.
void ParsePageParams(const UrlParams& query, int* page, int* page_size, std::vector<FieldIssue>& issues);
// `key`: a UTC time "YYYY-MM-DDTHH:MM:SSZ", or null for 0.
void WriteOptionalTime(JsonWriter& json, const char* key, int64_t unix_seconds);
// The JSON of a token's public data: "id" and "data" members of an item.
// `admin_view` adds the owner, revoked_at and last_used_from to "data".
void WriteTokenData(JsonWriter& json, const v1::PersonalToken& token, bool admin_view = false);

// {"meta": {...}, "items": [{"id", "data": {id,name,scopes,[namespaces,networks,]since,until,last_used_at}}]}
std::string ListJson(const ListQuery& query, const v1::ListTokensResponse& response);
// {"id", "data": {...}, "content"} — the only place token content leaves the api.
std::string IssuedJson(const v1::PersonalToken& token, const std::string& content);

}  // namespace tokengate
