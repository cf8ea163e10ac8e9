#include "common/base/log.h"

#include <atomic>
#include <cstdio>
#include <iterator>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/json_writer.h"
#include "common/base/names.h"

namespace tokengate {
namespace {

std::mutex g_mutex;
std::string g_program = "tokengate";
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<LogFormat> g_format{LogFormat::kText};

// The words of a message that become JSON fields of their own ("request_id=…").
constexpr absl::string_view kFieldKeys[] = {"request_id", "token_id", "user", "user_id", "admin"};
constexpr absl::string_view kRedacted = "<redacted>";

bool IsBase64UrlChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_'; }

// Length of a JWT (three non-empty base64url segments, the first starting
// "eyJ", i.e. a JSON object) at `text`'s start; 0 if there is none.
size_t JwtLengthAt(absl::string_view text) {
  if (!absl::StartsWith(text, "eyJ")) return 0;
  size_t i = 0;
  for (int segment = 0; segment < 3; ++segment) {
    const size_t start = i;
    while (i < text.size() && IsBase64UrlChar(text[i])) ++i;
    if (i == start) return 0;
    if (segment < 2) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
  }
  return i;
}

std::string RedactJwts(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (const size_t length = JwtLengthAt(text.substr(i)); length > 0) {
      out.append(kRedacted.data(), kRedacted.size());
      i += length;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

// Invalid UTF-8 becomes U+FFFD, so every JSON record is valid UTF-8.
std::string ValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t length = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (valid && length > 2) {
      // No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF.
      const auto next = static_cast<unsigned char>(text[i + 1]);
      valid = !(c == 0xE0 && next < 0xA0) && !(c == 0xED && next >= 0xA0) && !(c == 0xF0 && next < 0x90) &&
              !(c == 0xF4 && next >= 0x90);
    }
    if (valid) {
      out.append(text.data() + i, length);
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

}  // namespace

void SetLogProgram(absl::string_view program) {
  std::lock_guard lock(g_mutex);
  g_program = std::string(program);
}

void SetMinLogLevel(LogLevel level) { g_min_level = static_cast<int>(level); }

void SetLogFormat(LogFormat format) { g_format = format; }

std::optional<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_min_level.load(); }

std::string FormatLogRecord(LogFormat format, absl::Time time, LogLevel level, absl::string_view program,
                            absl::string_view message) {
  const std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  const std::string line = EscapeControlCharacters(RedactJwts(message));
  if (format == LogFormat::kText) return absl::StrCat(now, " ", LevelName(level), " ", program, ": ", line);
  JsonWriter json;
  json.BeginObject();
  json.Field("time", now);
  json.Field("level", LevelName(level));
  json.Field("program", ValidUtf8(program));
  json.Field("message", ValidUtf8(line));
  bool seen[std::size(kFieldKeys)] = {};
  for (const absl::string_view word : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    for (size_t k = 0; k < std::size(kFieldKeys); ++k) {
      const absl::string_view key = kFieldKeys[k];
      if (!seen[k] && word.size() > key.size() + 1 && absl::StartsWith(word, key) &&
          word[key.size()] == '=') {
        seen[k] = true;  // The first one: a key appears once in an object.
        json.Field(key, ValidUtf8(word.substr(key.size() + 1)));
      }
    }
  }
  json.EndObject();
  return json.Take();
}

void WriteLog(LogLevel level, absl::string_view message) {
  const LogFormat format = g_format.load();
  std::lock_guard lock(g_mutex);
  const std::string record = FormatLogRecord(format, absl::Now(), level, g_program, message);
  std::fprintf(stderr, "%.*s\n", static_cast<int>(record.size()), record.data());
  std::fflush(stderr);
}

}  // namespace tokengate
