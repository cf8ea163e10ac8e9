// Test support: runs a real binary as a child process, with its own
// environment, and reads the port it bound from its log ("listening on port N").
// stderr goes to a file under the test's temp dir, shown when a test fails;
// a sanitizer report in it fails the test (checked when the ChildProcess ends).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace tokengate::testing {

// The built binary `name` (e.g. "token-authority") in the build tree.
std::string BinaryPath(const std::string& name);
// An environment variable the test runner must set; fails the test if absent.
std::string RequiredEnv(const char* name);

class ChildProcess {
 public:
  ChildProcess(std::string binary, std::map<std::string, std::string> env,
               std::vector<std::string> args = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts it and waits (polling the log, up to `deadline`) for the line that
  // names its port. Returns the port, or -1 if it exited or never said.
  int StartAndWaitForPort(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // Sends SIGTERM and waits up to `deadline`; returns the exit code (-1 on timeout/signal).
  int Terminate(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  void Kill();
  bool Running();
  // Blocks until the process exits on its own (up to `deadline`); its exit code or -1.
  int WaitForExit(std::chrono::milliseconds deadline);
  std::string Log() const;
  // Polls the log until `needle` appears.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds deadline);
  int port() const { return port_; }

 private:
  std::string binary_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = -1;
  int exit_code_ = -1;
};

// Polls `condition` every 20 ms until it holds or `deadline` passes.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// A free TCP port on 127.0.0.1 (bound and released), for servers that must
// be restarted on the same port.
int FreePort();

}  // namespace tokengate::testing
