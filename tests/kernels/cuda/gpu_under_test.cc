// cuda_gpu_test's kernel suite runs on the GPU through the cuda backend. Its fallback refuses
// every request, so a test can only pass on what the GPU computed; without a usable device the
// suite skips with the backend's reason (ctest counts those tests as skipped, not passed).
#include "kernels/cuda/cuda_backend.h"
#include "tests/kernels/cuda/backend_under_test.h"

namespace attnserve::cuda {
namespace {

class RefusingBackend final : public Backend {
 public:
  BackendDescription Describe() const override { return {"refusing", {}, {}, ""}; }
  absl::Status Run(const AttentionProblem&, const AttentionOutputs&,
                   const StopCheck&) const override {
    return absl::FailedPreconditionError("the GPU suite does not let the cuda backend fall back");
  }
};

}  // namespace

const BackendUnderTest& KernelBackendUnderTest() {
  static const RefusingBackend refusing;
  static const CudaBackend gpu(CudaBackendOptions{}, &refusing);
  static const BackendUnderTest under_test{&gpu, gpu.unavailable_reason()};
  return under_test;
}

}  // namespace attnserve::cuda
