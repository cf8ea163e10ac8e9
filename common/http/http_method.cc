#include "common/http/http_method.h"

#include <array>
#include <utility>

namespace tokengate {
namespace {

constexpr std::array<std::pair<HttpMethod, absl::string_view>, 9> kMethods = {{
    {HttpMethod::kGet, "GET"},
    {HttpMethod::kHead, "HEAD"},
    {HttpMethod::kPost, "POST"},
    {HttpMethod::kPut, "PUT"},
    {HttpMethod::kPatch, "PATCH"},
    {HttpMethod::kDelete, "DELETE"},
    {HttpMethod::kOptions, "OPTIONS"},
    {HttpMethod::kTrace, "TRACE"},
    {HttpMethod::kConnect, "CONNECT"},
}};

}  // namespace

std::optional<HttpMethod> ParseHttpMethod(absl::string_view token) {
  for (const auto& [method, name] : kMethods) {
    if (token == name) return method;
  }
  return std::nullopt;
}

absl::string_view HttpMethodName(HttpMethod method) {
  for (const auto& [known, name] : kMethods) {
    if (known == method) return name;
  }
  return "";
}

}  // namespace tokengate
