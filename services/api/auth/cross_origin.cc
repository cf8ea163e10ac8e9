#include "services/api/auth/cross_origin.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/http/error_body.h"

namespace tokengate {
namespace {

constexpr absl::string_view kRefused = "Cross-origin request refused";
constexpr absl::string_view kUseBearer =
    "; scripts and other sites' servers authenticate with 'Authorization: Bearer'";

bool ChangesState(HttpMethod method) {
  return method == HttpMethod::kPost || method == HttpMethod::kPut || method == HttpMethod::kPatch ||
         method == HttpMethod::kDelete;
}

// "https://host:port" without its scheme, or "" when it has none of ours.
absl::string_view HostPart(absl::string_view origin) {
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::ConsumePrefix(&origin, scheme)) return origin;
  }
  return "";
}

bool IsJson(const std::optional<std::string>& content_type) {
  if (!content_type) return false;
  absl::string_view media =
      absl::StripAsciiWhitespace(absl::string_view(*content_type).substr(0, content_type->find(';')));
  return absl::EqualsIgnoreCase(media, "application/json");
}

}  // namespace

CrossOriginGuard::Verdict CrossOriginGuard::Judge(const HttpRequest& request, std::string& why) const {
  const std::optional<std::string> origin = request.Header("Origin");
  if (origin && allowed_.contains(absl::AsciiStrToLower(*origin))) return Verdict::kSameOrigin;
  // Fetch metadata first: the browser's own word, right behind a proxy that
  // rewrites Host too.
  if (const std::optional<std::string> site = request.Header("Sec-Fetch-Site")) {
    if (*site == "same-origin") return Verdict::kSameOrigin;
    why = absl::StrCat("The browser sent it from another origin (Sec-Fetch-Site: ", *site, ")");
    return Verdict::kCrossOrigin;
  }
  if (origin) {
    const std::optional<std::string> host = request.Header("Host");
    const absl::string_view origin_host = HostPart(*origin);
    if (host && !origin_host.empty() && absl::EqualsIgnoreCase(origin_host, *host)) {
      return Verdict::kSameOrigin;
    }
    why = absl::StrCat("Origin '", *origin, "' is not this api's origin");
    return Verdict::kCrossOrigin;
  }
  why = "It shows no origin (neither Origin nor Sec-Fetch-Site: same-origin), as browsers do";
  return Verdict::kNoBrowserHeaders;
}

std::optional<HttpResponse> CrossOriginGuard::CheckSessionRequest(const HttpRequest& request) const {
  if (!ChangesState(request.method())) return std::nullopt;
  std::string why;
  if (Judge(request, why) != Verdict::kSameOrigin) {
    return Forbidden(kRefused,
                     absl::StrCat(why, ": the session cookie works only from this api's pages", kUseBearer));
  }
  if (!request.body().empty() && !IsJson(request.Header("Content-Type"))) {
    return Forbidden("Unsupported content type",
                     "A request authenticated by the session cookie must send its body as "
                     "Content-Type: application/json");
  }
  return std::nullopt;
}

std::optional<HttpResponse> CrossOriginGuard::CheckLoginForm(const HttpRequest& request) const {
  std::string why;
  if (Judge(request, why) != Verdict::kCrossOrigin) return std::nullopt;
  return Forbidden(kRefused, absl::StrCat(why, ": log in on this api's own page"));
}

absl::StatusOr<std::vector<std::string>> ParseAllowedOrigins(absl::string_view list) {
  std::vector<std::string> origins;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const absl::string_view host = HostPart(entry);
    if (host.empty() || absl::StrContains(host, '/') || absl::StrContains(host, '?') ||
        absl::StrContains(host, '#') || absl::StrContains(host, '@')) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", entry, "' is not an origin (scheme://host[:port], http or https)"));
    }
    origins.push_back(absl::AsciiStrToLower(entry));
  }
  return origins;
}

}  // namespace tokengate
