// An HttpResponse as HTTP/1.1 bytes: status line, its headers, X-Request-ID,
// Content-Length and the body. Written by the server itself, so every header
// a handler sets reaches the wire (Pistache 0.0.5's ResponseWriter dropped raw
// headers, upstream issue #967) and none can split the response.
#pragma once

#include <string>

#include "common/http/response.h"

namespace tokengate {

// `with_body` false: the answer to a HEAD request (same Content-Length, no
// body). A header whose name or value holds CR or LF is dropped and logged.
std::string SerializeResponse(const HttpResponse& response, const std::string& request_id, bool with_body);

}  // namespace tokengate
