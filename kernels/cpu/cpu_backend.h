// The "cpu" backend: flash attention in float32, exact to the contract (rel. L2 < 1e-5 against
// the float64 reference), on a pool of threads it owns. A request is prepared once
// (attention_inputs.h: converted, Q and K rotated), cut into items of query tiles and, when
// those are too few for the threads, key splits (query_tile_attention.h), and the items are
// spread over the pool and the calling thread; the products run in register-blocked SIMD
// picked at run time (simd_kernels.h). Run is thread-safe: concurrent requests share the pool.
#ifndef ATTNSERVE_KERNELS_CPU_CPU_BACKEND_H_
#define ATTNSERVE_KERNELS_CPU_CPU_BACKEND_H_

#include <memory>

#include "kernels/api/backend.h"
#include "kernels/cpu/thread_pool.h"

namespace attnserve {

class CpuBackend final : public Backend {
 public:
  // `threads` computing threads for each request, the calling one included (the server's
  // --threads); at least 1.
  explicit CpuBackend(int threads = 1);

  BackendDescription Describe() const override;
  // `should_stop` is called from the pool's threads, never two at once.
  absl::Status Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                   const StopCheck& should_stop) const override;

 private:
  // Run is const for callers; the pool hands out work to its threads behind its own lock.
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_CPU_CPU_BACKEND_H_
