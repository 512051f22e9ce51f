// Runs the real attnctl binary for tests, capturing its exit code, stdout and stderr.
#ifndef ATTNSERVE_TESTS_SUPPORT_ATTNCTL_RUNNER_H_
#define ATTNSERVE_TESTS_SUPPORT_ATTNCTL_RUNNER_H_

#include <string>
#include <vector>

namespace attnserve::testing {

struct RunResult {
  int exit_code = -1;  // 128 + signal when it died by one
  std::string out;
  std::string err;
};

RunResult RunAttnctl(const std::vector<std::string>& args);

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_ATTNCTL_RUNNER_H_
