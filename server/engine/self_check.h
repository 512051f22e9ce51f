// The start-up proof that a server can compute: every backend runs a small causal problem
// with RoPE (YaRN) and ALiBi, at a large position offset and with GQA, in every dtype it
// accepts, and must match the float64 reference within the contract's tolerance. The health
// service reports SERVING only after this passes.
#ifndef ATTNSERVE_SERVER_ENGINE_SELF_CHECK_H_
#define ATTNSERVE_SERVER_ENGINE_SELF_CHECK_H_

#include "absl/status/status.h"
#include "server/engine/backend_registry.h"

namespace attnserve {

// OK, or the first backend and dtype that failed and by how much.
absl::Status CheckBackendsCompute(const BackendRegistry& backends);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_ENGINE_SELF_CHECK_H_
