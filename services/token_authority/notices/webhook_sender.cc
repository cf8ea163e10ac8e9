#include "services/token_authority/notices/webhook_sender.h"

#include <memory>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tokengate {
namespace {

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

bool WorthRetry(long status) { return status >= 500 || status == 408 || status == 429; }

}  // namespace

std::string WebhookSignature(absl::string_view secret, int64_t unix_seconds, absl::string_view body) {
  const std::string signed_text = absl::StrCat(unix_seconds, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &length);
  return absl::StrCat("t=", unix_seconds, ",v1=",
                      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(mac), length)));
}

absl::Status WebhookSender::Send(const Notice& notice) {
  const std::string body = NoticeJson(notice, absl::StrCat(config_.public_url, "/"));
  const std::string headers_text[] = {
      "Content-Type: application/json",
      absl::StrCat("X-Tokengate-Signature: ",
                   WebhookSignature(config_.webhook_secret, absl::ToUnixSeconds(absl::Now()), body)),
      absl::StrCat("X-Tokengate-Notice-Id: ", notice.id),
      absl::StrCat("X-Tokengate-Event: ", NoticeEvent(notice)),
      "User-Agent: tokengate-notices",
      "Expect:",  // No 100-continue round trip for a small body.
  };
  curl_slist* list = nullptr;
  for (const auto& header : headers_text) list = curl_slist_append(list, header.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::UnavailableError("curl_easy_init failed");
  CURL* c = curl.get();
  const std::string& url = notice.webhook_url.empty() ? config_.webhook_url : notice.webhook_url;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(config_.send_timeout)));
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) return absl::UnavailableError(absl::StrCat("webhook: ", curl_easy_strerror(code)));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return absl::OkStatus();
  const std::string why = absl::StrCat("webhook answered HTTP ", status);
  return WorthRetry(status) ? absl::UnavailableError(why) : absl::FailedPreconditionError(why);
}

}  // namespace tokengate
