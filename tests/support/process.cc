#include "tests/support/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace tokengate::testing {

std::string BinaryPath(const std::string& name) {
  static const std::map<std::string, std::string> kDirs = {
      {"token-authority", "services/token_authority"},
      {"tokengate-api", "services/api"},
      {"http2kafka", "services/http2kafka"},
      {"lineage-consumer", "services/consumer"},
  };
  const std::string build = RequiredEnv("TOKENGATE_BUILD_DIR");
  auto it = kDirs.find(name);
  return build + "/" + (it == kDirs.end() ? "" : it->second + "/") + name;
}

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name << " is not set: run the tests through `make test`";
    return "";
  }
  return value;
}

ChildProcess::ChildProcess(std::string binary, std::map<std::string, std::string> env,
                           std::vector<std::string> args)
    : binary_(std::move(binary)), env_(std::move(env)), args_(std::move(args)) {
  char path[] = "/tmp/tokengate-child-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  log_path_ = path;
}

namespace {

// What ASan, LeakSanitizer and UBSan print when they find something.
bool HasSanitizerReport(const std::string& log) {
  return log.find("ERROR: AddressSanitizer") != std::string::npos ||
         log.find("ERROR: LeakSanitizer") != std::string::npos ||
         log.find(": runtime error: ") != std::string::npos;
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0) Kill();
  // Checked here, at the end, because a child can report after the test's
  // last assertion (or be killed before anyone looked at its log).
  if (HasSanitizerReport(Log()))
    ADD_FAILURE() << binary_ << " reported a sanitizer finding (its log follows)";
  if (::testing::Test::HasFailure()) {
    std::cerr << "---- log of " << binary_ << " ----\n" << Log() << "---- end of log ----\n";
  }
  unlink(log_path_.c_str());
}

int ChildProcess::StartAndWaitForPort(std::chrono::milliseconds deadline) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("TOKENGATE_", 0) != 0) env_strings.emplace_back(*e);
  }
  for (const auto& [key, value] : env_) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {binary_};
  argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  // Where this start's lines begin: measured before the fork, since a quick
  // child can write its port line before the parent looks.
  const size_t log_offset = Log().size();
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_APPEND);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    // The test runner may block signals; the child must start clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  constexpr std::string_view kPortLine = "listening on port ";
  Eventually(
      [&] {
        const std::string log = Log().substr(log_offset);
        const size_t at = log.find(kPortLine);
        if (at != std::string::npos) port_ = std::atoi(log.c_str() + at + kPortLine.size());
        return port_ > 0 || !Running();
      },
      deadline);
  return port_;
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return false;
}

int ChildProcess::WaitForExit(std::chrono::milliseconds deadline) {
  if (!Eventually([&] { return !Running(); }, deadline)) return -1;
  return exit_code_;
}

int ChildProcess::Terminate(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  return WaitForExit(deadline);
}

void ChildProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

bool ChildProcess::WaitForLog(const std::string& needle, std::chrono::milliseconds deadline) {
  return Eventually([&] { return Log().find(needle) != std::string::npos; }, deadline);
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace tokengate::testing
