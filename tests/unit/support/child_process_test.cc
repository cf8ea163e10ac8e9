// Tests of the test support itself: what a sanitizer prints in a child's log
// fails the test that started the child, even when the child kept serving or
// exited 0 — a finding must never pass unnoticed in a log nobody reads.
#include <string>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace tokengate::testing {
namespace {

// A child that prints `report` as a sanitizer would, announces a port and keeps running.
void StartChildThatPrints(const std::string& report) {
  ChildProcess child("/bin/sh", {},
                     {"-c", "echo '" + report + "' >&2; echo 'sh listening on port 1'; exec sleep 60"});
  ASSERT_EQ(child.StartAndWaitForPort(), 1);
}

TEST(ChildProcessTest, AddressSanitizerReportFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(
      StartChildThatPrints("==42==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020"),
      "/bin/sh reported a sanitizer finding");
}

TEST(ChildProcessTest, LeakSanitizerReportFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(StartChildThatPrints("==42==ERROR: LeakSanitizer: detected memory leaks"),
                          "/bin/sh reported a sanitizer finding");
}

TEST(ChildProcessTest, UndefinedBehaviourReportFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(StartChildThatPrints("common/x.cc:3:41: runtime error: signed integer overflow"),
                          "/bin/sh reported a sanitizer finding");
}

TEST(ChildProcessTest, ChildWithoutReportPasses) { StartChildThatPrints("an ordinary log line"); }

}  // namespace
}  // namespace tokengate::testing
