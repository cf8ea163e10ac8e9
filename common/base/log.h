// One-line log records on stderr, as text ("<UTC time> <LEVEL> <program>:
// <message>", the default) or as one JSON object per line (time, level,
// program, message, and request_id / token_id / user / user_id / admin when
// the message has such a `key=value` word), for log pipelines.
// Callers must never pass token content; log token ids only. A message may
// hold anything (user names come from clients): the writer escapes control
// characters, so no caller can break a record into two or forge one, and
// blanks out anything shaped like a JWT (a personal token's content, an
// access token) in case a client sent one where a name belongs.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokengate {

enum class LogLevel { kDebug, kInfo, kWarning, kError };
enum class LogFormat { kText, kJson };

void SetLogProgram(absl::string_view program);
void SetLogFormat(LogFormat format);
// "text" or "json" (TOKENGATE_LOG_FORMAT); nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(absl::string_view name);
// One record as WriteLog prints it, without the newline (for tests).
std::string FormatLogRecord(LogFormat format, absl::Time time, LogLevel level, absl::string_view program,
                            absl::string_view message);
void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
// Writes one line, `message` escaped by EscapeControlCharacters (names.h).
void WriteLog(LogLevel level, absl::string_view message);

// Collects a message with operator<< and writes it as one line when destroyed.
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine() { WriteLog(level_, stream_.str()); }
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  template <typename T>
  LogLine& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace tokengate

// A for-statement, not an if/else, so `if (x) TG_LOG(Info) << …;` cannot
// bind a caller's else to the macro.
#define TG_LOG(level)                                                                                  \
  for (bool tg_log_enabled = ::tokengate::LogEnabled(::tokengate::LogLevel::k##level); tg_log_enabled; \
       tg_log_enabled = false)                                                                         \
  ::tokengate::LogLine(::tokengate::LogLevel::k##level)
