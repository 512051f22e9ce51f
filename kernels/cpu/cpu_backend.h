// The "cpu" backend: float32 attention exact to the contract (rel. L2 < 1e-5 against the
// float64 reference). Inputs are converted to float on load and rotated once per request
// (K once, not once per query); each query row then streams over its visible key range only,
// in tiles of keys with an online softmax (one tile of scores as scratch), the dot products
// and value accumulation in SIMD chosen at run time (simd_kernels.h). Still one thread per
// request and one query row at a time: query tiles, register blocking and threads within a
// request are the next steps (docs/performance.md).
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
