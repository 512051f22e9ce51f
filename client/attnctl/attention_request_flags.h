// The flags that describe one ComputeAttention request (shapes or .npy inputs, dtype, mask,
// encoding, backend, outputs asked for) and the request they build: shared by `attention`,
// which sends it once, and `bench`, which sends it many times.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_REQUEST_FLAGS_H_
#define ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_REQUEST_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"

namespace attnserve::attnctl {

// Names of the flags AttentionRequestFromFlags reads (encoding flags included).
std::vector<std::string> AttentionRequestFlagNames();

// The request those flags describe; a usage error names the flag.
absl::StatusOr<v1::AttentionRequest> AttentionRequestFromFlags();

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_REQUEST_FLAGS_H_
