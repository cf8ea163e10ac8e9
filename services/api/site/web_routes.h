// The personal tokens page (web/ in the repo: index.html, app.js, app.css)
// served by the api at "/" from a local directory, so the page and the REST
// endpoints share one origin and the session cookie. Only the page's own
// files are routed; everything else keeps its JSON 404.
#pragma once

#include <functional>
#include <optional>

#include "common/http/router.h"
#include "common/http/static_files.h"

namespace tokengate {

// Files the page consists of (for routing and the start-up check).
inline constexpr const char* kWebPageFiles[] = {"index.html", "app.js", "app.css"};

// Answers a request for "/" instead of the page (e.g. a redirect to the
// identity provider's login), or nullopt to serve the page.
using PageGate = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

void AddWebRoutes(Router& router, const StaticFiles* web_files, PageGate gate = nullptr);

}  // namespace tokengate
