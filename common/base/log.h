// One-line log records on stderr: "<UTC time> <LEVEL> <program>: <message>".
// Callers must never pass token content; log token ids only. A message may
// hold anything (user names come from clients): the writer escapes control
// characters, so no caller can break a record into two or forge one.
#pragma once

#include "absl/strings/string_view.h"

#include <sstream>
#include <string>
#include <string_view>

namespace tokengate {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

void SetLogProgram(absl::string_view program);
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
#define TG_LOG(level)                                                              \
  for (bool tg_log_enabled = ::tokengate::LogEnabled(::tokengate::LogLevel::k##level); \
       tg_log_enabled; tg_log_enabled = false)                                     \
  ::tokengate::LogLine(::tokengate::LogLevel::k##level)
