// `tokengate` end to end without an authority: the exit codes and stream
// contents of everything decided before a call is made.
#include "services/cli/cli_main.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/cli/exit_codes.h"
#include "tests/unit/cli/token_shaped_text.h"

namespace tokengate::cli {
namespace {

using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kToken = TokenShapedText();

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome RunTokengate(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  const int code = RunCli(
      args, [](const std::string&) { return std::nullopt; }, in, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliMainTest, TokenOnTheCommandLineExitsWithUsageCodeAndNeverEchoesIt) {
  const Outcome outcome = RunTokengate({"verify", "--plaintext", kToken});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_EQ(outcome.out, "");
  EXPECT_THAT(outcome.err, AllOf(StartsWith("tokengate: refusing a token on the command line"),
                                 EndsWith("\n"), Not(HasSubstr("eyJ"))));
  EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
}

TEST(CliMainTest, EmptyStdinIsAUsageError) {
  const Outcome outcome = RunTokengate({"verify", "--plaintext"}, " \n");
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_THAT(outcome.err, HasSubstr("no token in stdin"));
}

TEST(CliMainTest, UnreadableTokenFileIsAUsageError) {
  const Outcome outcome = RunTokengate({"verify", "--plaintext", "--token-file", "/nonexistent/token"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_THAT(outcome.err, HasSubstr("--token-file: cannot read /nonexistent/token"));
}

TEST(CliMainTest, OversizedStdinIsRefusedAsNotAToken) {
  const Outcome outcome = RunTokengate({"verify", "--plaintext"}, std::string(20000, 'a'));
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_THAT(outcome.err, HasSubstr("more than 16 KiB"));
}

TEST(CliMainTest, UsageErrorPointsAtHelp) {
  const Outcome outcome = RunTokengate({"tokens", "list", "--plaintext"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_EQ(outcome.err, "tokengate: tokens list needs --user NAME or --all-users (tokengate --help)\n");
}

TEST(CliMainTest, VersionHasTheFormatOfEveryBinary) {
  const Outcome outcome = RunTokengate({"--version"});
  EXPECT_EQ(outcome.code, kExitOk);
  EXPECT_THAT(outcome.out, MatchesRegex("tokengate [0-9.]+ \\(revision [^)]+\\)\n"));
}

TEST(CliMainTest, HelpDocumentsEveryExitCode) {
  const Outcome outcome = RunTokengate({"--help"});
  EXPECT_EQ(outcome.code, kExitOk);
  for (const char* line : {"0  ok", "1  verify: the token is invalid", "2  usage error", "3  not found",
                           "4  permission denied", "5  authority unavailable", "6  any other error"}) {
    EXPECT_THAT(outcome.out, HasSubstr(line));
  }
}

TEST(CliExitCodeTest, EachStatusMapsToItsDocumentedCode) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("")), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("")), kExitDenied);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("")), kExitDenied);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("")), kExitUnavailable);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("")), kExitUnavailable);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("")), kExitOther);
  EXPECT_EQ(ExitCodeFor(absl::UnimplementedError("")), kExitOther);
}

}  // namespace
}  // namespace tokengate::cli
