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
inline const std::vector<std::string> kConnectionFlags = {
    "target",          "timeout_seconds", "tls", "tls_ca", "tls_cert", "tls_key",
    "tls_server_name", "auth_token_file"};

// Client options from the connection flags, the TLS files and token read; fails on a
// non-positive timeout or a file that cannot be read.
absl::StatusOr<ClientOptions> ClientOptionsFromFlags();

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_COMMON_FLAGS_H_
