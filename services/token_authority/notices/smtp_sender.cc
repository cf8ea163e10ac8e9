#include "services/token_authority/notices/smtp_sender.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tokengate {
namespace {

struct Upload {
  absl::string_view rest;
};

size_t ReadChunk(char* buffer, size_t size, size_t count, void* data) {
  auto* upload = static_cast<Upload*>(data);
  const size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

// "Tokengate <noreply@example.org>" → "noreply@example.org".
std::string EnvelopeAddress(const std::string& from) {
  const size_t open = from.find('<');
  const size_t close = from.rfind('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return from;
  return from.substr(open + 1, close - open - 1);
}

}  // namespace

void InitNoticeSenders() { curl_global_init(CURL_GLOBAL_DEFAULT); }

bool IsPlainMailAddress(const std::string& address) {
  if (address.empty() || address.size() > 254) return false;
  if (std::count(address.begin(), address.end(), '@') != 1) return false;
  if (address.front() == '@' || address.back() == '@') return false;
  return std::none_of(address.begin(), address.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"' || c == ',';
  });
}

absl::Status SmtpSender::Send(const Notice& notice) {
  if (!IsPlainMailAddress(notice.email)) {
    return absl::FailedPreconditionError("the owner has no usable e-mail address");
  }
  const std::string mail =
      NoticeMail(notice, config_.smtp_from, absl::StrCat(config_.public_url, "/"), absl::Now());
  Upload upload{mail};
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::UnavailableError("curl_easy_init failed");
  curl_slist* list = curl_slist_append(nullptr, absl::StrCat("<", notice.email, ">").c_str());
  for (const std::string& cc : notice.cc) {
    if (IsPlainMailAddress(cc)) list = curl_slist_append(list, absl::StrCat("<", cc, ">").c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(list, &curl_slist_free_all);
  const std::string from = absl::StrCat("<", EnvelopeAddress(config_.smtp_from), ">");
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config_.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   config_.smtp_starttls_required ? static_cast<long>(CURLUSESSL_ALL)
                                                  : static_cast<long>(CURLUSESSL_NONE));
  if (!config_.smtp_ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.smtp_ca_file.c_str());
  if (!config_.smtp_username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.smtp_username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.smtp_password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadChunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(config_.send_timeout)));
  const CURLcode code = curl_easy_perform(c);
  if (code == CURLE_OK) return absl::OkStatus();
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  const std::string why = absl::StrCat("SMTP: ", curl_easy_strerror(code),
                                       reply != 0 ? absl::StrCat(" (reply ", reply, ")") : "");
  if (reply >= 500 && reply < 600) return absl::FailedPreconditionError(why);
  return absl::UnavailableError(why);
}

}  // namespace tokengate
