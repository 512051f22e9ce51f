// The cuda kernel suite: the CUDA backend's kernels against the float64 reference on random
// data, run on the backend backend_under_test.h names (the CPU shim in cuda_shim_test, a GPU in
// cuda_gpu_test). Every encoding variant and mask option on the SIMT (float32) and flash
// (tensor-core) kernels, decode with key splits, GQA, head dims 64 and 128, rows with no visible
// key, and the standalone RoPE kernel in every layout, scaling and dtype, with and without
// 16-byte accesses.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/attention_plan.h"
#include "kernels/numeric/accuracy.h"
#include "tests/kernels/cuda/backend_under_test.h"
#include "tests/kernels/cuda/kernel_expectations.h"
#include "tests/support/attention_variants.h"
#include "tests/support/random_problem.h"

namespace attnserve::cuda {
namespace {

using attnserve::testing::BackendResult;
using attnserve::testing::EncodingVariant;
using attnserve::testing::MaskOption;

// Skips, saying why, when the backend under test cannot run (no GPU).
class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& reason = KernelBackendUnderTest().unavailable_reason;
    if (!reason.empty()) GTEST_SKIP() << "no device to run the cuda kernels on: " << reason;
  }
  static const Backend& Kernels() { return *KernelBackendUnderTest().backend; }
};

using CudaKernels = KernelTest;

class CudaKernelVariants
    : public KernelTest,
      public ::testing::WithParamInterface<std::tuple<EncodingVariant, MaskOption>> {};

// float32 takes the SIMT kernel; v_head_dim differs from head_dim and is not a multiple of 32.
TEST_P(CudaKernelVariants, SimtFloat32MatchesReference) {
  const auto& [encoding, mask] = GetParam();
  const AttentionProblem problem = attnserve::testing::ProblemFor(
      encoding, mask,
      {/*batch=*/2, /*q_len=*/6, /*kv_len=*/45, /*heads=*/4, /*kv_heads=*/2,
       /*head_dim=*/64, /*v_head_dim=*/40});
  auto owned = attnserve::testing::MakeRandomProblem(problem, DataType::kFloat32, 7);
  ExpectMatchesReference(Kernels(), owned->problem, DataType::kFloat32, kFloat32Tolerance);
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
    ExpectMatchesReference(Kernels(), owned->problem, input, kHalfTolerance);
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
TEST_F(CudaKernels, DecodeSplitsKeysAndMergesThemForBothKernels) {
  const AttentionProblem problem = DecodeProblem(128);
  absl::StatusOr<AttentionPlan> plan = PlanAttention(problem, 132);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_GT(plan->num_splits, 1);
  for (DataType input : {DataType::kFloat32, DataType::kBFloat16}) {
    SCOPED_TRACE(ToString(input));
    auto owned = attnserve::testing::MakeRandomProblem(problem, input, 3);
    ExpectMatchesReference(Kernels(), owned->problem, DataType::kFloat32,
                           input == DataType::kFloat32 ? kFloat32Tolerance : kHalfTolerance);
  }
}

// 160 packed rows: three row blocks, the last partial.
TEST_F(CudaKernels, FlashHeadDim128WithGroupedQueriesMatchesReference) {
  AttentionProblem problem;
  problem.shape = {1, 40, 130, 8, 2, 128, 128};
  problem.causal = true;
  problem.rotary = RotarySpec{500000, 128, true, Llama3Scaling{}};
  auto owned = attnserve::testing::MakeRandomProblem(problem, DataType::kFloat16, 5);
  ExpectMatchesReference(Kernels(), owned->problem, DataType::kFloat16, kHalfTolerance);
}

TEST_F(CudaKernels, RowsWithoutVisibleKeysGiveZerosAndMinusInfinityLse) {
  AttentionProblem problem;
  problem.shape = {1, 20, 8, 2, 2, 64, 64};
  problem.causal = true;  // the first 12 query rows precede every key
  for (DataType input : {DataType::kFloat32, DataType::kFloat16}) {
    auto owned = attnserve::testing::MakeRandomProblem(problem, input, 9);
    absl::StatusOr<BackendResult> result =
        attnserve::testing::RunBackend(Kernels(), owned->problem, DataType::kFloat32, false);
    ASSERT_TRUE(result.ok()) << result.status();
    for (int64_t row = 0; row < 12; ++row) {
      for (int64_t head = 0; head < 2; ++head) {
        EXPECT_EQ(result->lse[head * 20 + row], -INFINITY);
        for (int64_t c = 0; c < 64; ++c) EXPECT_EQ(result->output[(row * 2 + head) * 64 + c], 0);
      }
    }
    ExpectMatchesReference(Kernels(), owned->problem, DataType::kFloat32,
                           input == DataType::kFloat32 ? kFloat32Tolerance : kHalfTolerance);
  }
}

// Standalone RoPE: the tensor of ApplyRotary, at scattered and long positions.
class CudaRotaryVariants : public KernelTest,
                           public ::testing::WithParamInterface<EncodingVariant> {};

std::vector<EncodingVariant> RotaryVariants() {
  std::vector<EncodingVariant> variants;
  for (EncodingVariant& variant : attnserve::testing::EncodingVariants(64)) {
    if (variant.rotary) variants.push_back(std::move(variant));
  }
  return variants;
}

const std::vector<int64_t> kScatteredPositions = {5, 0, 17, 4095, 33, 1, 131071};

// Head dim 64: every run of pairs takes 16-byte accesses; misaligned, one pair per thread.
TEST_P(CudaRotaryVariants, RotatesLikeTheReferenceInEveryDtype) {
  const RotarySpec& spec = *GetParam().rotary;
  for (DataType dtype : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16}) {
    for (bool misaligned : {false, true}) {
      SCOPED_TRACE(std::string(ToString(dtype)) + (misaligned ? " misaligned" : " aligned"));
      ExpectRotaryMatchesReference(Kernels(), spec, dtype, {2, 7, 3, 64}, kScatteredPositions,
                                   misaligned);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllScalings, CudaRotaryVariants, ::testing::ValuesIn(RotaryVariants()),
                         [](const auto& info) { return info.param.name; });

// Head vectors of 6 (3 pairs) and of 40 with 24 rotated dims: no whole 16-byte runs.
TEST_F(CudaKernels, RotaryOfOddSizesMatchesReference) {
  for (bool interleaved : {false, true}) {
    for (DataType dtype : {DataType::kFloat32, DataType::kBFloat16}) {
      SCOPED_TRACE(std::string(ToString(dtype)) + (interleaved ? " interleaved" : " half-split"));
      ExpectRotaryMatchesReference(Kernels(), {10000, 6, interleaved, std::monostate{}}, dtype,
                                   {1, 5, 2, 6}, {0, 1, 2, 3, 4});
      ExpectRotaryMatchesReference(Kernels(), {10000, 24, interleaved, YarnScaling{4, 4096}}, dtype,
                                   {3, 4, 1, 40}, {9, 8, 7, 60000});
    }
  }
}

}  // namespace
}  // namespace attnserve::cuda
