// cuda_shim_test's kernel suite runs on the CPU shim, lanes as fibers.
#include "kernels/cuda/shim_backend.h"
#include "tests/kernels/cuda/backend_under_test.h"

namespace attnserve::cuda {

const BackendUnderTest& KernelBackendUnderTest() {
  static const ShimCudaBackend shim({cudashim::LaneMode::kFibers, 132});
  static const BackendUnderTest under_test{&shim, ""};
  return under_test;
}

}  // namespace attnserve::cuda
