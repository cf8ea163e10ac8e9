#include "common/http/response_wire.h"

#include <pistache/http_defs.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/http/request_id.h"

namespace tokengate {
namespace {

bool SafeHeaderText(absl::string_view text) {
  return !absl::StrContains(text, '\r') && !absl::StrContains(text, '\n');
}

void AppendHeader(std::string& out, absl::string_view name, absl::string_view value) {
  if (!SafeHeaderText(name) || !SafeHeaderText(value)) {
    TG_LOG(Warning) << "dropped response header '" << name << "' with a line break";
    return;
  }
  absl::StrAppend(&out, name, ": ", value, "\r\n");
}

}  // namespace

std::string SerializeResponse(const HttpResponse& response, const std::string& request_id, bool with_body) {
  std::string out;
  out.reserve(256 + (with_body ? response.body.size() : 0));
  absl::StrAppend(&out, "HTTP/1.1 ", response.status, " ",
                  Pistache::Http::codeString(static_cast<Pistache::Http::Code>(response.status)), "\r\n");
  if (!response.content_type.empty()) AppendHeader(out, "Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers) AppendHeader(out, name, value);
  if (!request_id.empty()) AppendHeader(out, kRequestIdHeader, request_id);
  // RFC 9110 §8.6: no Content-Length on 204 (and 304, which we never send).
  if (response.status != 204 && response.status != 304) {
    absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  }
  out.append("\r\n");
  if (with_body) out.append(response.body);
  return out;
}

}  // namespace tokengate
