// One audit record of the authority's contract as a JSON object, the same
// for the api's events endpoint and the command-line client's --json.
#pragma once

#include "common/base/json_writer.h"
#include "tokengate/v1/token_authority.pb.h"

namespace tokengate {

// {"id","at","event","actor_kind","actor_name","user_name","token_id",
//  "token_name","client_address","user_agent","request_id","detail"};
// `at` is RFC 3339 UTC with milliseconds; empty optional texts are null.
void WriteAuditEventJson(JsonWriter& json, const v1::AuditEvent& event);

}  // namespace tokengate
