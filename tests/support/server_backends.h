// The backends the server under test offers, in GetServerInfo's order: "cuda" exists when the
// build found nvcc (tests/CMakeLists.txt defines ATTNSERVE_WITH_CUDA then), GPU or not.
#ifndef ATTNSERVE_TESTS_SUPPORT_SERVER_BACKENDS_H_
#define ATTNSERVE_TESTS_SUPPORT_SERVER_BACKENDS_H_

#include <string>
#include <vector>

#include "absl/strings/str_join.h"

namespace attnserve::testing {

inline std::vector<std::string> ServerBackendNames() {
#if defined(ATTNSERVE_WITH_CUDA)
  return {"cpu", "cuda", "reference"};
#else
  return {"cpu", "reference"};
#endif
}

// As INVALID_ARGUMENT messages list them.
inline std::string ServerBackendList() { return absl::StrJoin(ServerBackendNames(), ", "); }

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_SERVER_BACKENDS_H_
