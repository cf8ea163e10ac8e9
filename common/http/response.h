// What a route handler answers, independent of Pistache: status, body,
// content type and extra headers. The router writes it out (typed headers,
// request id); handlers never touch a ResponseWriter.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tokengate {

struct HttpResponse {
  int status = 200;
  std::string content_type;  // Empty: no Content-Type (e.g. 204).
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Json(int status, std::string body) {
    return HttpResponse{.status = status, .content_type = "application/json", .body = std::move(body)};
  }
  static HttpResponse Text(int status, std::string content_type, std::string body) {
    return HttpResponse{.status = status, .content_type = std::move(content_type), .body = std::move(body)};
  }
  static HttpResponse NoContent() { return HttpResponse{.status = 204}; }

  HttpResponse& WithHeader(absl::string_view name, absl::string_view value) {
    headers.emplace_back(std::string(name), std::string(value));
    return *this;
  }
  // For every answer that carries a secret (a token's content, a login): no
  // cache may keep it, the browser's and HTTP/1.0 proxies' included.
  HttpResponse& NotStored() {
    return WithHeader("Cache-Control", "no-store").WithHeader("Pragma", "no-cache");
  }
};

}  // namespace tokengate
