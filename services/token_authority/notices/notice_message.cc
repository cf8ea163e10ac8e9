#include "services/token_authority/notices/notice_message.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/base/dates.h"
#include "common/base/json_writer.h"

namespace tokengate {
namespace {

// A header value or a line built from user input: control characters (CR/LF above all,
// which would start a header of the sender's choosing) become spaces.
std::string HeaderSafe(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

bool IsAscii(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// RFC 2047 encoded-word for a non-ASCII header value.
std::string EncodedWord(const std::string& text) {
  if (IsAscii(text)) return text;
  return absl::StrCat("=?UTF-8?B?", absl::Base64Escape(text), "?=");
}

// "was revoked on 2026-12-01 10:00 UTC" or "expired on 2026-12-01".
std::string DeadSince(const Notice& notice) {
  if (notice.revoked_at) {
    return absl::StrCat("was revoked on ",
                        absl::FormatTime("%Y-%m-%d %H:%M UTC", *notice.revoked_at, absl::UTCTimeZone()));
  }
  return absl::StrCat("expired on ", FormatDay(notice.until + 1));
}

// Names go into the text on one line each, whatever they hold.
std::string BodyText(const Notice& notice, const std::string& tokens_page) {
  const std::string until = FormatDay(notice.until);
  const std::string token =
      absl::StrCat("\"", HeaderSafe(notice.token_name), "\" (id ", notice.token_id, ")");
  if (notice.kind == NoticeKind::kDeadUse) {
    return absl::StrCat(
        "Hello ", HeaderSafe(notice.user_name), ",\n\n", "your personal token ", token, " ",
        DeadSince(notice), " and is still being sent from ", HeaderSafe(notice.client_address), " (",
        HeaderSafe(notice.user_agent), ").\n\n",
        "Whatever runs there still holds the old value: give it a live token, or stop it. If you do not "
        "know that address, the token may have leaked.\n",
        tokens_page, "\n");
  }
  if (notice.kind == NoticeKind::kLeak) {
    return absl::StrCat(
        "Hello ", HeaderSafe(notice.user_name), ",\n\n", "your personal token ", token,
        " was reported as leaked by someone who found it, and it has been revoked: it no longer "
        "works anywhere.\n\n",
        "Create a new token and put it where the old one was used:\n", tokens_page, "\n");
  }
  return absl::StrCat(
      "Hello ", HeaderSafe(notice.user_name), ",\n\n", "your personal token ", token, " is valid through ",
      until, " (UTC) and stops working at the start of the next day.\n\n",
      "Refresh it, or create a new one, before jobs that use it start failing:\n", tokens_page, "\n");
}

}  // namespace

const char* NoticeEvent(const Notice& notice) {
  switch (notice.kind) {
    case NoticeKind::kLeak: return "token.leak_revoked";
    case NoticeKind::kDeadUse:
      return notice.revoked_at ? "token.used_after_revocation" : "token.used_after_expiry";
    case NoticeKind::kExpiry: break;
  }
  return "token.expiry_notice";
}

std::string NoticeSubject(const Notice& notice) {
  if (notice.kind == NoticeKind::kDeadUse) {
    return HeaderSafe(absl::StrCat("Personal token \"", notice.token_name, "\" ", DeadSince(notice),
                                   " and is still being sent from ", notice.client_address, " (",
                                   notice.user_agent, ")"));
  }
  if (notice.kind == NoticeKind::kLeak) {
    return HeaderSafe(
        absl::StrCat("Your personal token \"", notice.token_name, "\" was reported leaked and revoked"));
  }
  if (absl::StartsWith(notice.user_name, "sa:")) {
    return HeaderSafe(absl::StrCat("The token \"", notice.token_name, "\" of service account ",
                                   notice.user_name.substr(3), " expires after ", FormatDay(notice.until)));
  }
  return HeaderSafe(absl::StrCat("Your personal token \"", notice.token_name, "\" expires after ",
                                 FormatDay(notice.until)));
}

std::string NoticeMail(const Notice& notice, const std::string& from, const std::string& tokens_page,
                       absl::Time now) {
  std::string mail = absl::StrCat(
      "From: ", HeaderSafe(from), "\r\n", "To: ", HeaderSafe(notice.email), "\r\n",
      notice.cc.empty() ? "" : absl::StrCat("Cc: ", HeaderSafe(absl::StrJoin(notice.cc, ", ")), "\r\n"),
      "Subject: ", EncodedWord(NoticeSubject(notice)), "\r\n",
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", now, absl::UTCTimeZone()), "\r\n",
      // The same on every retry, so a receiver can drop a duplicate.
      "Message-ID: <notice-", notice.id, ".", notice.token_id, "@tokengate>\r\n",
      "X-Tokengate-Notice-Id: ", notice.id, "\r\n", "MIME-Version: 1.0\r\n",
      "Content-Type: text/plain; charset=UTF-8\r\n", "Content-Transfer-Encoding: 8bit\r\n", "\r\n");
  absl::StrAppend(&mail, absl::StrReplaceAll(BodyText(notice, tokens_page), {{"\n", "\r\n"}}));
  return mail;
}

std::string NoticeJson(const Notice& notice, const std::string& tokens_page) {
  JsonWriter json;
  json.BeginObject();
  json.Field("id", notice.id);
  json.Field("event", NoticeEvent(notice));
  json.Field("threshold_days", notice.threshold_days);
  json.Key("token");
  json.BeginObject();
  json.Field("id", notice.token_id);
  json.Field("name", notice.token_name);
  json.Field("until", FormatDay(notice.until));
  json.Field("expires_at", StartOfDayUnix(notice.until + 1));
  json.EndObject();
  json.Key("user");
  json.BeginObject();
  json.Field("name", notice.user_name);
  json.EndObject();
  if (notice.kind == NoticeKind::kDeadUse) {
    json.Field("client_address", notice.client_address);
    json.Field("user_agent", notice.user_agent);
  }
  json.Field("link", tokens_page);
  json.Field("message", NoticeSubject(notice));
  json.EndObject();
  return json.Take();
}

}  // namespace tokengate
