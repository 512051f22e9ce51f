// The "cpu" backend: float32 attention exact to the contract (rel. L2 < 1e-5 against the
// float64 reference). Inputs are converted to float on load and rotated once per request
// (K once, not once per query); each query row then streams over its visible key range only,
// with one kv_len score row of scratch. Fast tiling and SIMD come later behind this interface.
// Thread-safe: Run keeps all state on its own stack.
#ifndef ATTNSERVE_KERNELS_CPU_CPU_BACKEND_H_
#define ATTNSERVE_KERNELS_CPU_CPU_BACKEND_H_

#include "kernels/api/backend.h"

namespace attnserve {

class CpuBackend final : public Backend {
 public:
  BackendDescription Describe() const override;
  absl::Status Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                   const StopCheck& should_stop) const override;
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_CPU_CPU_BACKEND_H_
