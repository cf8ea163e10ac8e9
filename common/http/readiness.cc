#include "common/http/readiness.h"

#include "absl/strings/str_cat.h"
#include "common/http/error_body.h"

namespace tokengate {
namespace {

// How soon a prober that got 503 should look again.
constexpr absl::Duration kRetryAfter = absl::Seconds(1);

}  // namespace

void AddReadinessRoute(Router& router, const RevocationWatcher* watcher) {
  router.Add(HttpMethod::kGet, "/monitoring/ready", [watcher](const HttpRequest&) {
    if (watcher != nullptr && !watcher->Connected()) {
      return ServiceUnavailable("The revocation stream from the token authority is down", kRetryAfter);
    }
    const int64_t position = watcher != nullptr ? watcher->position() : 0;
    return HttpResponse::Json(200,
                              absl::StrCat(R"({"status":"ready","revocation_position":)", position, "}"));
  });
}

}  // namespace tokengate
