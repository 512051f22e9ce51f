// The CUDA backend's kernels, run on the CPU through the execution shim (ShimCudaBackend: the
// GPU backend's plan and launch code), against the float64 reference on random data: every
// encoding variant and mask option on the SIMT (float32) and flash (tensor-core) kernels,
// decode with key splits, GQA, head dims 64 and 128, and a subset with lanes as OS threads.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/attention_plan.h"
#include "kernels/cuda/shim_backend.h"
#include "kernels/numeric/accuracy.h"
#include "tests/kernels/cuda/shim_expectations.h"
#include "tests/support/attention_variants.h"
#include "tests/support/random_problem.h"

namespace attnserve::cuda {
namespace {

using attnserve::testing::BackendResult;
using attnserve::testing::EncodingVariant;
using attnserve::testing::MaskOption;
using cudashim::LaneMode;

const ShimCudaBackend& Fibers() {
  static const ShimCudaBackend backend({LaneMode::kFibers, 132});
  return backend;
}

class CudaKernelVariants
    : public ::testing::TestWithParam<std::tuple<EncodingVariant, MaskOption>> {};

// float32 takes the SIMT kernel; v_head_dim differs from head_dim and is not a multiple of 32.
TEST_P(CudaKernelVariants, SimtFloat32MatchesReference) {
  const auto& [encoding, mask] = GetParam();
  const AttentionProblem problem = attnserve::testing::ProblemFor(
      encoding, mask,
      {/*batch=*/2, /*q_len=*/6, /*kv_len=*/45, /*heads=*/4, /*kv_heads=*/2,
       /*head_dim=*/64, /*v_head_dim=*/40});
  auto owned = attnserve::testing::MakeRandomProblem(problem, DataType::kFloat32, 7);
  ExpectMatchesReference(Fibers(), owned->problem, DataType::kFloat32, kFloat32Tolerance);
}

// float16 and bfloat16 take the flash kernel: 90 keys make two key tiles, the second partial.
TEST_P(CudaKernelVariants, FlashHalfInputsMatchReference) {
  const auto& [encoding, mask] = GetParam();
  const AttentionProblem problem = attnserve::testing::ProblemFor(
      encoding, mask,
      {/*batch=*/2, /*q_len=*/20, /*kv_len=*/90, /*heads=*/4, /*kv_heads=*/2,
       /*head_dim=*/64, /*v_head_dim=*/64});
  for (DataType input : {DataType::kFloat16, DataType::kBFloat16}) {
    SCOPED_TRACE(ToString(input));
    auto owned = attnserve::testing::MakeRandomProblem(problem, input, 11);
    ExpectMatchesReference(Fibers(), owned->problem, input, kHalfTolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, CudaKernelVariants,
    ::testing::Combine(::testing::ValuesIn(attnserve::testing::EncodingVariants(64)),
                       ::testing::ValuesIn(attnserve::testing::MaskOptions())),
    [](const auto& info) {
      return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
    });

AttentionProblem DecodeProblem(int64_t head_dim) {
  AttentionProblem problem;
  problem.shape = {/*batch=*/2,    /*q_len=*/1, /*kv_len=*/1000, /*heads=*/8,
                   /*kv_heads=*/2, head_dim,    head_dim};
  problem.causal = true;
  problem.rotary = RotarySpec{10000, static_cast<int>(head_dim), false, std::monostate{}};
  problem.alibi = AlibiSpec{};
  problem.position_offsets = {5000, 17};
  problem.kv_lengths = {1000, 777};
  return problem;
}

// Few blocks on many SMs: the plan splits the keys, and the combine kernel merges the splits.
TEST(CudaKernels, DecodeSplitsKeysAndMergesThemForBothKernels) {
  const AttentionProblem problem = DecodeProblem(128);
  absl::StatusOr<AttentionPlan> plan = PlanAttention(problem, 132);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_GT(plan->num_splits, 1);
  for (DataType input : {DataType::kFloat32, DataType::kBFloat16}) {
    SCOPED_TRACE(ToString(input));
    auto owned = attnserve::testing::MakeRandomProblem(problem, input, 3);
    ExpectMatchesReference(Fibers(), owned->problem, DataType::kFloat32,
                           input == DataType::kFloat32 ? kFloat32Tolerance : kHalfTolerance);
  }
}

// 160 packed rows: three row blocks, the last partial.
TEST(CudaKernels, FlashHeadDim128WithGroupedQueriesMatchesReference) {
  AttentionProblem problem;
  problem.shape = {1, 40, 130, 8, 2, 128, 128};
  problem.causal = true;
  problem.rotary = RotarySpec{500000, 128, true, Llama3Scaling{}};
  auto owned = attnserve::testing::MakeRandomProblem(problem, DataType::kFloat16, 5);
  ExpectMatchesReference(Fibers(), owned->problem, DataType::kFloat16, kHalfTolerance);
}

TEST(CudaKernels, RowsWithoutVisibleKeysGiveZerosAndMinusInfinityLse) {
  AttentionProblem problem;
  problem.shape = {1, 20, 8, 2, 2, 64, 64};
  problem.causal = true;  // the first 12 query rows precede every key
  for (DataType input : {DataType::kFloat32, DataType::kFloat16}) {
    auto owned = attnserve::testing::MakeRandomProblem(problem, input, 9);
    absl::StatusOr<BackendResult> result =
        attnserve::testing::RunBackend(Fibers(), owned->problem, DataType::kFloat32, false);
    ASSERT_TRUE(result.ok()) << result.status();
    for (int64_t row = 0; row < 12; ++row) {
      for (int64_t head = 0; head < 2; ++head) {
        EXPECT_EQ(result->lse[head * 20 + row], -INFINITY);
        for (int64_t c = 0; c < 64; ++c) EXPECT_EQ(result->output[(row * 2 + head) * 64 + c], 0);
      }
    }
    ExpectMatchesReference(Fibers(), owned->problem, DataType::kFloat32,
                           input == DataType::kFloat32 ? kFloat32Tolerance : kHalfTolerance);
  }
}

TEST(CudaKernels, ShapesNoKernelCoversAreUnimplemented) {
  AttentionProblem problem;
  problem.shape = {1, 2, 3, 1, 1, 512, 512};
  auto owned = attnserve::testing::MakeRandomProblem(problem, DataType::kFloat32, 1);
  absl::StatusOr<BackendResult> result =
      attnserve::testing::RunBackend(Fibers(), owned->problem, DataType::kFloat32, false);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attnserve::cuda
