#include "services/api/auth/oidc/idp_http.h"

#include <memory>

#include <curl/curl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/http/url_encoded.h"

namespace tokengate {
namespace {

// Discovery documents and JWKS are small; anything larger is not an IdP.
constexpr size_t kMaxReplyBytes = 1 << 20;

struct Sink {
  std::string body;
  bool too_large = false;
};

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body.size() + n > kMaxReplyBytes) {
    sink->too_large = true;
    return 0;
  }
  sink->body.append(data, n);
  return n;
}

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

CurlHandle NewHandle() { return CurlHandle(curl_easy_init(), &curl_easy_cleanup); }

}  // namespace

void InitIdpHttp() { curl_global_init(CURL_GLOBAL_DEFAULT); }

absl::StatusOr<IdpReply> IdpHttp::Perform(void* handle, const std::string& url) const {
  CURL* curl = static_cast<CURL*>(handle);
  Sink sink;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  const CURLcode code = curl_easy_perform(curl);
  if (sink.too_large) return absl::UnavailableError("identity provider answer is too large");
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("identity provider is unreachable: ", curl_easy_strerror(code)));
  }
  IdpReply reply;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  if (reply.status >= 500) {
    return absl::UnavailableError(absl::StrCat("identity provider answered HTTP ", reply.status));
  }
  reply.body = std::move(sink.body);
  return reply;
}

absl::StatusOr<IdpReply> IdpHttp::Get(const std::string& url) const {
  CurlHandle curl = NewHandle();
  if (!curl) return absl::InternalError("curl_easy_init failed");
  return Perform(curl.get(), url);
}

absl::StatusOr<IdpReply> IdpHttp::PostForm(const std::string& url, absl::string_view form,
                                           absl::string_view client_id,
                                           absl::string_view client_secret) const {
  CurlHandle curl = NewHandle();
  if (!curl) return absl::InternalError("curl_easy_init failed");
  const std::string body(form);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  // RFC 6749 §2.3.1: the id and secret are form-encoded before Basic.
  const std::string user = UrlEncode(client_id);
  const std::string password = UrlEncode(client_secret);
  if (!client_id.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl.get(), CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, password.c_str());
  }
  return Perform(curl.get(), url);
}

}  // namespace tokengate
