#include "common/base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/names.h"

namespace tokengate {
namespace {

std::mutex g_mutex;
std::string g_program = "tokengate";
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

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

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_min_level.load(); }

void WriteLog(LogLevel level, absl::string_view message) {
  const std::string now =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  const std::string line = EscapeControlCharacters(message);
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s %s %s: %.*s\n", now.c_str(), LevelName(level), g_program.c_str(),
               static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

}  // namespace tokengate
