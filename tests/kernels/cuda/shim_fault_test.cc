// Proof that the shim bites: this binary builds the flash kernel with
// ATTNSERVE_SHIM_FAULT_SKIP_TILE_BARRIER, which removes the __syncthreads between a tile's
// cp.async wait and its first read. Each thread's own copies have landed but its neighbours'
// may not have, and the fiber scheduling (one warp at a time) makes that certain: the result
// must come out wrong (NaN from poisoned shared memory). (With lanes as threads it is a race,
// which ThreadSanitizer, not a result check, is for.)
#include <cmath>

#include "gtest/gtest.h"
#include "kernels/cuda/shim_backend.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/reference/reference_attention.h"
#include "tests/support/random_problem.h"

namespace attnserve::cuda {
namespace {

TEST(ShimCatchesFaults, MissingBarrierAfterTileLoadGivesWrongResults) {
  AttentionProblem problem;
  problem.shape = {1, 16, 70, 2, 1, 64, 64};
  problem.causal = true;
  auto owned = attnserve::testing::MakeRandomProblem(problem, DataType::kFloat16, 4);
  const ReferenceAttentionResult expected = ComputeReferenceAttention(owned->problem, false);
  const ShimCudaBackend backend({cudashim::LaneMode::kFibers, 132});
  absl::StatusOr<attnserve::testing::BackendResult> result =
      attnserve::testing::RunBackend(backend, owned->problem, DataType::kFloat32, false);
  ASSERT_TRUE(result.ok()) << result.status();
  const double error = RelativeL2Error(result->output, expected.output);
  EXPECT_FALSE(error < kHalfTolerance) << "the missing barrier went unnoticed: error " << error;
}

}  // namespace
}  // namespace attnserve::cuda
