// The headers of every HTML page the edges serve (the tokens page, Swagger UI
// on both edges): one Content-Security-Policy that forbids framing
// (clickjacking) and anything not served by the edge itself, X-Frame-Options
// for browsers that ignore frame-ancestors, and nosniff. Pages under it must
// not use inline scripts or styles: the policy refuses them.
#pragma once

#include "common/http/response.h"

namespace tokengate {

// data: images: Swagger UI's stylesheet draws its icons with them.
inline constexpr char kPageContentSecurityPolicy[] =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

inline HttpResponse& WithPageSecurity(HttpResponse& response) {
  return response.WithHeader("Content-Security-Policy", kPageContentSecurityPolicy)
      .WithHeader("X-Frame-Options", "DENY")
      .WithHeader("X-Content-Type-Options", "nosniff");
}

}  // namespace tokengate
