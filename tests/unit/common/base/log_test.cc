// The log writer itself: whatever a message holds, one record is one line.
#include "common/base/log.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "common/base/base64url.h"

namespace tokengate {
namespace {

using ::testing::MatchesRegex;
using ::testing::SizeIs;

// What WriteLog puts on stderr while `write` runs.
template <typename Write>
std::string CapturedStderr(Write write) {
  std::FILE* file = std::tmpfile();
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(fileno(file), STDERR_FILENO);
  write();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  std::rewind(file);
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), file)) out.append(buffer, n);
  std::fclose(file);
  return out;
}

TEST(LogTest, ForgedLineBreaksStayInsideTheirRecord) {
  SetLogProgram("tokengate-api");
  const std::string out = CapturedStderr([] {
    WriteLog(LogLevel::kInfo,
             "login user=eve\r\n2026-12-07T00:00:00.000Z INFO tokengate-api: admin revoked 42 tokens");
  });
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(1)) << out;
  EXPECT_THAT(lines[0],
              MatchesRegex(R"(^[0-9T:.-]+Z INFO tokengate-api: login user=eve\\r\\n2026.*42 tokens$)"));
}

TEST(LogTest, EveryControlCharacterIsSpeltOutReadably) {
  SetLogProgram("tokengate");
  const std::string out = CapturedStderr([] {
    WriteLog(LogLevel::kWarning,
             std::string("nul\0 esc\x1b[2J del\x7f tab\t nel\xc2\x85 ls\xe2\x80\xa8.", 35));
  });
  EXPECT_THAT(out, ::testing::EndsWith(": nul\\x00 esc\\x1b[2J del\\x7f tab\\t nel\\u0085 ls\\u2028.\n"));
}

TEST(LogTest, OrdinaryMessagesAreWrittenUnchanged) {
  const std::string out = CapturedStderr([] {
    TG_LOG(Info) << "issued personal token id="
                 << "0192"
                 << " path C:\\tmp é";
  });
  EXPECT_THAT(out, ::testing::EndsWith(": issued personal token id=0192 path C:\\tmp é\n"));
}

const absl::Time kNoon = absl::FromUnixSeconds(1796126400);  // 2026-12-01T12:00:00Z

TEST(LogTest, JsonRecordHoldsTimeLevelProgramMessageAndTheIdsTheMessageNames) {
  EXPECT_EQ(FormatLogRecord(LogFormat::kJson, kNoon, LogLevel::kInfo, "http2kafka",
                            "request_id=r-1 token_id=0192 user=alice \"quoted\" user=bob"),
            R"({"time":"2026-12-01T12:00:00.000Z","level":"INFO","program":"http2kafka",)"
            R"("message":"request_id=r-1 token_id=0192 user=alice \"quoted\" user=bob",)"
            R"("request_id":"r-1","token_id":"0192","user":"alice"})");
}

TEST(LogTest, TextStaysTheDefaultFormat) {
  EXPECT_EQ(FormatLogRecord(LogFormat::kText, kNoon, LogLevel::kError, "token-authority", "user_id=7 x"),
            "2026-12-01T12:00:00.000Z ERROR token-authority: user_id=7 x");
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("JSON"), std::nullopt);
}

TEST(LogTest, TokenShapedTextNeverReachesEitherFormat) {
  // Made here from its parts, so that no token-shaped literal sits in the repository.
  const std::string token = "personal_token_" + Base64UrlEncode(R"({"alg":"HS256"})") + "." +
                            Base64UrlEncode(R"({"sub":"1"})") + "." + Base64UrlEncode("signature") + "-_x";
  for (const LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    const std::string record = FormatLogRecord(format, kNoon, LogLevel::kInfo, "tokengate-api",
                                               "login user=" + token + " from x" + token.substr(15));
    EXPECT_THAT(record, ::testing::Not(::testing::HasSubstr("eyJ"))) << record;
    EXPECT_THAT(record, ::testing::HasSubstr("user=personal_token_<redacted> from x<redacted>")) << record;
  }
  // Not a JWT: fewer than three segments.
  EXPECT_THAT(FormatLogRecord(LogFormat::kText, kNoon, LogLevel::kInfo, "t", "eyJabc.def"),
              ::testing::EndsWith(": eyJabc.def"));
}

TEST(LogTest, JsonRecordIsValidUtf8WhateverTheMessageHolds) {
  EXPECT_THAT(FormatLogRecord(LogFormat::kJson, kNoon, LogLevel::kInfo, "t", "a\xff\xc3(b\xed\xa0\x80 é"),
              ::testing::HasSubstr(
                  "\"message\":\"a\xEF\xBF\xBD\xEF\xBF\xBD(b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD é\""));
}

}  // namespace
}  // namespace tokengate
