// Checks the options a sanitizer build compiles into every binary
// (common/base/sanitizer_options.cc): an undefined-behaviour finding stops the
// process with a non-zero exit code instead of being printed and passed over.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SanitizerOptionsTest, UndefinedBehaviourStopsTheProcess) {
  // Without the environment's own options: what is checked is the build's defaults.
  FILE* out = popen("env -u ASAN_OPTIONS -u UBSAN_OPTIONS " TG_UBSAN_PROBE " 2>&1", "r");
  ASSERT_NE(out, nullptr);
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, out)) > 0;) output.append(buffer, n);
  const int status = pclose(out);

  EXPECT_THAT(output, HasSubstr("runtime error: signed integer overflow"));
  EXPECT_THAT(output, Not(HasSubstr("carried on")));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
}

}  // namespace
