// Runs the real attnserve binary for integration tests: on 127.0.0.1 with --port 0 (and no
// /metrics endpoint), reading the port from its first stdout line ("listening on HOST:PORT"). The
// destructor kills a server that was not stopped, so a failing test never leaves one behind.
#ifndef ATTNSERVE_TESTS_SUPPORT_SERVER_PROCESS_H_
#define ATTNSERVE_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace attnserve::testing {

class ServerProcess {
 public:
  // Starts `attnserve --host 127.0.0.1 --port 0 --metrics_port=0 EXTRA_ARGS...` and waits
  // (up to 30 s) for it to announce its port.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::vector<std::string>& extra_args);

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits (up to 30 s) for the exit; returns the exit code.
  absl::StatusOr<int> Stop();

 private:
  ServerProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}

  pid_t pid_;
  int stdout_fd_;
  int port_ = 0;
  bool exited_ = false;
};

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_SERVER_PROCESS_H_
