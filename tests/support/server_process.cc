#include "tests/support/server_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#ifndef ATTNSERVE_BINARY
#error "ATTNSERVE_BINARY must name the attnserve executable"
#endif

namespace attnserve::testing {
namespace {

constexpr int kStartTimeoutMs = 30000;
constexpr auto kStopTimeout = std::chrono::seconds(30);

// Reads stdout up to the next newline, or fails after the start timeout.
absl::StatusOr<std::string> ReadLine(int fd) {
  std::string line;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  while (std::chrono::steady_clock::now() < give_up) {
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, 100) <= 0) continue;
    char c;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0)
      return absl::UnavailableError(absl::StrCat("server exited before listening: ", line));
    if (c == '\n') return line;
    line.push_back(c);
  }
  return absl::DeadlineExceededError("server did not announce its port within 30 s");
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::vector<std::string>& extra_args) {
  // No /metrics: its HTTP server adds up to 2 s to every stop, and these tests do not read it.
  std::vector<std::string> args = {ATTNSERVE_BINARY, "--host=127.0.0.1", "--port=0",
                                   "--metrics_port=0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  // Owned from here on, so an early return still reaps the child.
  std::unique_ptr<ServerProcess> server(new ServerProcess(pid, pipe_fds[0]));
  absl::StatusOr<std::string> line = ReadLine(pipe_fds[0]);
  if (!line.ok()) return line.status();
  const std::string prefix = "listening on 127.0.0.1:";
  if (!absl::StartsWith(*line, prefix) ||
      !absl::SimpleAtoi(line->substr(prefix.size()), &server->port_)) {
    return absl::InternalError(absl::StrCat("unexpected first line: ", *line));
  }
  return server;
}

absl::StatusOr<int> ServerProcess::Stop() {
  if (exited_) return absl::FailedPreconditionError("already stopped");
  kill(pid_, SIGTERM);
  const auto give_up = std::chrono::steady_clock::now() + kStopTimeout;
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return absl::InternalError(absl::StrCat("server died by signal ", WTERMSIG(status)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("server did not exit within 30 s of SIGTERM");
}

ServerProcess::~ServerProcess() {
  if (!exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(stdout_fd_);
}

}  // namespace attnserve::testing
