// A deadlock in a kernel is reported, not hung on (fiber mode; with lanes as threads, as in the
// sanitizer builds, std::barrier would simply wait forever).
#include "gtest/gtest.h"
#include "kernels/cuda/cuda_compat.h"

namespace attnserve::cuda {
namespace {

// Half a warp waits for its warp, the other half for the block: neither barrier can complete.
__global__ void DivergentBarrierKernel() {
  if (threadIdx.x < 16) {
    __syncwarp();
  } else {
    __syncthreads();
  }
}

TEST(ShimDeathTest, BarrierOnlySomeLanesReachIsReportedAsDeadlock) {
  EXPECT_DEATH(
      cudashim::Launch(DivergentBarrierKernel, {dim3(1), dim3(32), 0, cudashim::LaneMode::kFibers}),
      "deadlock");
}

}  // namespace
}  // namespace attnserve::cuda
