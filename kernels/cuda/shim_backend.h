// The CUDA backend's kernels run on the CPU through the shim (shim/cuda_shim.h): the same plan
// (attention_plan.h), the same launch code (attention_launch.h) and the same kernel sources as
// on a GPU, with host memory standing in for device memory. Slow; it exists so that the tests
// check the kernels against the float64 reference on machines without a GPU. Run may be called
// from several threads at once.
#ifndef ATTNSERVE_KERNELS_CUDA_SHIM_BACKEND_H_
#define ATTNSERVE_KERNELS_CUDA_SHIM_BACKEND_H_

#include "kernels/api/backend.h"
#include "kernels/cuda/shim/shim_runtime.h"

namespace attnserve::cuda {

struct ShimBackendOptions {
  cudashim::LaneMode mode = cudashim::LaneMode::kFibers;
  // The SM count split-KV planning assumes (132: an H100 SXM).
  int multiprocessors = 132;
};

class ShimCudaBackend final : public Backend {
 public:
  explicit ShimCudaBackend(ShimBackendOptions options) : options_(options) {}

  BackendDescription Describe() const override;

  // UNIMPLEMENTED for probabilities and for shapes the kernels do not cover (as the GPU backend
  // would then use the CPU); `should_stop` is not polled (a launch cannot be interrupted).
  absl::Status Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                   const StopCheck& should_stop) const override;
  absl::Status ApplyRotary(const RotaryFrequencies& frequencies, std::span<const int64_t> positions,
                           const MutableTensorView& data) const override;

 private:
  const ShimBackendOptions options_;
};

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_SHIM_BACKEND_H_
