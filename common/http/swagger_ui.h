// Swagger UI at /docs for an edge's /openapi.json: the page, the script that
// starts it (no inline script, so the page runs under the strict policy of
// page_security.h) and, from npm's swagger-ui-dist, only the files the page
// loads. The package's stand-alone index.html, its OAuth2 redirect page and
// its source maps are never served. A pasted token is not persisted in the
// browser's storage, where any script of the origin could read it.
#pragma once

#include "absl/strings/string_view.h"
#include "common/http/router.h"
#include "common/http/static_files.h"

namespace tokengate {

// The files of swagger-ui-dist the page uses (routing and start-up checks).
inline constexpr const char* kSwaggerUiFiles[] = {"swagger-ui.css", "swagger-ui-bundle.js",
                                                  "favicon-32x32.png"};

// Adds GET /docs, /docs/swagger-initializer.js and /static/swagger-ui/{file}.
// `title` names the page; `assets` is swagger-ui-dist and outlives the router.
void AddSwaggerUiRoutes(Router& router, absl::string_view title, const StaticFiles* assets);

}  // namespace tokengate
