// Flags shared by several attnctl commands: the connection (every command) and the shape and
// file flags more than one command reads. Defined once here; each command lists the ones it
// reads in its Command::flags.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_COMMON_FLAGS_H_
#define ATTNSERVE_CLIENT_ATTNCTL_COMMON_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "client/cpp/attnserve_client.h"

ABSL_DECLARE_FLAG(std::string, target);
ABSL_DECLARE_FLAG(double, timeout_seconds);
ABSL_DECLARE_FLAG(int64_t, heads);
ABSL_DECLARE_FLAG(int64_t, head_dim);
ABSL_DECLARE_FLAG(std::string, dtype);
ABSL_DECLARE_FLAG(std::string, query);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(int32_t, verify);

namespace attnserve::attnctl {

// The flags every command reads.
inline const std::vector<std::string> kConnectionFlags = {"target", "timeout_seconds"};

// Client options from --target and --timeout_seconds; fails on a non-positive timeout.
absl::StatusOr<ClientOptions> ClientOptionsFromFlags();

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_COMMON_FLAGS_H_
