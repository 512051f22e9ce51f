// The cpu backend against the float64 reference on random data: every encoding variant of
// docs/encodings.md, every mask option, every dtype, at large position offsets.
#include "kernels/cpu/cpu_backend.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/query_tile_attention.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/reference/reference_attention.h"
#include "tests/support/attention_variants.h"
#include "tests/support/random_problem.h"

namespace attnserve {
namespace {

using testing::BackendResult;

using testing::EncodingVariant;
using testing::MaskOption;

AttentionProblem ProblemFor(const EncodingVariant& encoding, const MaskOption& mask) {
  return testing::ProblemFor(encoding, mask,
                             {/*batch=*/2, /*q_len=*/6, /*kv_len=*/21, /*heads=*/4,
                              /*kv_heads=*/2, /*head_dim=*/16, /*v_head_dim=*/12});
}

// One thread, and three: the threaded runs split keys when there are few query tiles.
const CpuBackend& SingleThreaded() {
  static const CpuBackend backend(1);
  return backend;
}
const CpuBackend& ThreeThreads() {
  static const CpuBackend backend(3);
  return backend;
}

void ExpectMatchesReference(const AttentionProblem& problem, DataType output_dtype,
                            double tolerance) {
  const ReferenceAttentionResult expected =
      ComputeReferenceAttention(problem, /*with_probabilities=*/true);
  for (const CpuBackend* backend : {&SingleThreaded(), &ThreeThreads()}) {
    SCOPED_TRACE(backend->Describe().devices[0]);
    // Probabilities only from one of them: asking for them turns key splitting off.
    const bool with_probabilities = backend == &SingleThreaded();
    absl::StatusOr<BackendResult> actual =
        testing::RunBackend(*backend, problem, output_dtype, with_probabilities);
    ASSERT_TRUE(actual.ok()) << actual.status();
    EXPECT_LT(RelativeL2Error(actual->output, expected.output), tolerance);
    EXPECT_LT(RelativeL2Error(actual->lse, expected.lse), kFloat32Tolerance);
    if (with_probabilities) {
      EXPECT_LT(RelativeL2Error(actual->probabilities, expected.probabilities), kFloat32Tolerance);
    }
  }
}

class CpuBackendVariants
    : public ::testing::TestWithParam<std::tuple<EncodingVariant, MaskOption>> {};

TEST_P(CpuBackendVariants, Float32MatchesReference) {
  const auto& [encoding, mask] = GetParam();
  auto owned = testing::MakeRandomProblem(ProblemFor(encoding, mask), DataType::kFloat32, 7);
  ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
}

TEST_P(CpuBackendVariants, HalfInputsMatchReferenceInEveryOutputDtype) {
  const auto& [encoding, mask] = GetParam();
  for (DataType input : {DataType::kFloat16, DataType::kBFloat16}) {
    auto owned = testing::MakeRandomProblem(ProblemFor(encoding, mask), input, 11);
    // The reference sees the same rounded inputs, so only the output rounding differs.
    ExpectMatchesReference(owned->problem, input, kHalfTolerance);
    ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CpuBackendVariants,
                         ::testing::Combine(::testing::ValuesIn(testing::EncodingVariants(16)),
                                            ::testing::ValuesIn(testing::MaskOptions())),
                         [](const auto& info) {
                           return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
                         });

TEST(CpuBackend, LongContextAlibiKeepsPrecisionWhenEveryVisibleKeyIsFar) {
  // Query rows at the end of a long sequence whose valid keys end far before them: every
  // visible logit carries an ALiBi bias near -slope * 3000, where fp32 has ~2e-4 spacing.
  AttentionProblem problem;
  problem.shape = {1, 2, 3200, 2, 1, 8, 8};
  problem.alibi = AlibiSpec{{1.0, 0.5}};
  problem.causal = true;
  problem.kv_lengths = {150};
  problem.position_offsets = {100000};
  auto owned = testing::MakeRandomProblem(problem, DataType::kFloat32, 3);
  ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
}

TEST(CpuBackend, RowsSpanningManyKeyTilesMatchReference) {
  // kv_len 1000 is eight tiles of the online softmax, so the running max and sum are rescaled
  // across tiles; head_dim 38 and v_head_dim 45 leave remainders after every vector width.
  AttentionProblem problem;
  problem.shape = {/*batch=*/2,    /*q_len=*/5,     /*kv_len=*/1000,  /*heads=*/4,
                   /*kv_heads=*/2, /*head_dim=*/38, /*v_head_dim=*/45};
  problem.rotary = RotarySpec{10000, 38, false, YarnScaling{4, 4096}};
  problem.alibi = AlibiSpec{};
  problem.causal = true;
  problem.window = 700;
  problem.kv_lengths = {1000, 613};
  auto owned = testing::MakeRandomProblem(problem, DataType::kFloat32, 5);
  ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
}

TEST(CpuBackend, ManyQueryTilesReadKeysFromTransposedPanels) {
  // 70 queries x 3 heads per kv head = 210 rows: four query tiles per (batch, kv head), so the
  // keys are transposed into panels; head dims 40 and 24 leave vector remainders.
  AttentionProblem problem;
  problem.shape = {/*batch=*/2,    /*q_len=*/70,    /*kv_len=*/150,   /*heads=*/6,
                   /*kv_heads=*/2, /*head_dim=*/40, /*v_head_dim=*/24};
  problem.rotary = RotarySpec{10000, 40, true, YarnScaling{8, 2048}};
  problem.alibi = AlibiSpec{};
  problem.causal = true;
  problem.window = 90;
  problem.position_offsets = {50000, 7};
  problem.kv_lengths = {150, 97};
  for (DataType dtype : {DataType::kFloat32, DataType::kBFloat16}) {
    auto owned = testing::MakeRandomProblem(problem, dtype, 13);
    ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
  }
}

TEST(CpuBackend, DecodeSplitsLongContextsOverThreadsAndMergesThem) {
  // One query per head and one kv head: a single query tile, so the three-thread backend
  // splits its 5000 keys into ranges and merges them by log-sum-exp.
  AttentionProblem problem;
  problem.shape = {1, 1, 5000, 8, 1, 64, 64};
  problem.rotary = RotarySpec{500000, 64, false, Llama3Scaling{}};
  problem.alibi = AlibiSpec{};
  problem.kv_lengths = {4321};
  ASSERT_GT(PlanWork(problem.shape, 3, /*with_probabilities=*/false).splits, 1);
  for (DataType dtype : {DataType::kFloat32, DataType::kFloat16}) {
    auto owned = testing::MakeRandomProblem(problem, dtype, 17);
    ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
  }
}

TEST(WorkPlan, DecodeTakesEveryKvHeadPerTileAndSplitsKeysOverThreads) {
  const AttentionShape decode{1, 1, 32768, 32, 8, 128, 128};
  const WorkPlan plan = PlanWork(decode, 2, false);
  EXPECT_EQ(plan.key_layout, KeyLayout::kRows);
  EXPECT_EQ(plan.kv_heads_per_tile, 8);
  EXPECT_EQ(plan.tiles(decode), 1);
  EXPECT_EQ(plan.splits, 4) << "two items per thread";
  EXPECT_EQ(PlanWork(decode, 1, false).splits, 1) << "one thread has nothing to share";
  EXPECT_EQ(PlanWork(decode, 2, true).splits, 1) << "probabilities need whole rows";
  const AttentionShape short_context{1, 1, 300, 32, 8, 128, 128};
  EXPECT_EQ(PlanWork(short_context, 2, false).splits, 1) << "too few keys to be worth it";
  const AttentionShape batched{16, 1, 32768, 32, 8, 128, 128};
  EXPECT_EQ(PlanWork(batched, 2, false).splits, 1) << "16 tiles already occupy 2 threads";
}

TEST(WorkPlan, PrefillReadsKeyPanelsOneKvHeadPerTile) {
  const AttentionShape prefill{1, 2048, 2048, 32, 8, 128, 128};
  const WorkPlan plan = PlanWork(prefill, 2, false);
  EXPECT_EQ(plan.key_layout, KeyLayout::kPanels);
  EXPECT_EQ(plan.kv_heads_per_tile, 1);
  EXPECT_EQ(plan.query_tiles, 2048 * 4 / kQueryRowsPerTile);
  EXPECT_EQ(plan.splits, 1);
}

TEST(CpuBackend, GroupedQueryHeadsReadTheirOwnKvHead) {
  AttentionProblem problem;
  problem.shape = {1, 3, 9, 8, 2, 16, 16};
  problem.causal = true;
  auto owned = testing::MakeRandomProblem(problem, DataType::kFloat32, 5);
  ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
  // Multi-query (one kv head) too.
  problem.shape.kv_heads = 1;
  owned = testing::MakeRandomProblem(problem, DataType::kFloat32, 6);
  ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
}

TEST(CpuBackend, RowsWithoutVisibleKeysGiveZerosAndMinusInfinityLse) {
  AttentionProblem problem;
  problem.shape = {2, 4, 8, 2, 2, 8, 8};
  problem.causal = true;
  problem.kv_lengths = {0, 8};
  auto owned = testing::MakeRandomProblem(problem, DataType::kFloat32, 9);
  absl::StatusOr<BackendResult> result =
      testing::RunBackend(ThreeThreads(), owned->problem, DataType::kFloat32, true);
  ASSERT_TRUE(result.ok());
  const size_t batch_rows = 4 * 2;  // q_len * heads of batch element 0
  for (size_t n = 0; n < batch_rows * 8; ++n) EXPECT_EQ(result->output[n], 0.0);
  for (size_t n = 0; n < batch_rows; ++n) EXPECT_EQ(result->lse[n], -INFINITY);
  for (size_t n = batch_rows; n < result->lse.size(); ++n)
    EXPECT_TRUE(std::isfinite(result->lse[n]));
}

TEST(Backends, StopWhenAskedAndPollWhileComputing) {
  AttentionProblem problem;
  problem.shape = {2, 64, 64, 4, 2, 16, 16};
  auto owned = testing::MakeRandomProblem(problem, DataType::kFloat32, 12);
  std::vector<float> output(2 * 64 * 4 * 16);
  const AttentionOutputs outputs{
      {DataType::kFloat32, {2, 64, 4, 16}, reinterpret_cast<std::byte*>(output.data())}};
  const CpuBackend cpu;
  const ReferenceBackend reference;
  for (const Backend* backend :
       {static_cast<const Backend*>(&cpu), static_cast<const Backend*>(&reference)}) {
    int polls = 0;
    const StopCheck never = [&polls] { return ++polls < 0; };
    EXPECT_TRUE(backend->Run(owned->problem, outputs, never).ok());
    EXPECT_GE(polls, 8) << backend->Describe().name << " polls once per (batch, head) at least";
    int polls_until_stop = 0;
    const StopCheck third = [&polls_until_stop] { return ++polls_until_stop == 3; };
    const absl::Status stopped = backend->Run(owned->problem, outputs, third);
    EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled) << backend->Describe().name;
    EXPECT_EQ(polls_until_stop, 3) << "it stopped at the first poll that said so";
  }
}

TEST(CpuBackend, MoreQueriesThanKeysLeavesEarlyCausalRowsEmpty) {
  AttentionProblem problem;
  problem.shape = {1, 6, 4, 1, 1, 8, 8};
  problem.causal = true;
  auto owned = testing::MakeRandomProblem(problem, DataType::kFloat32, 10);
  ExpectMatchesReference(owned->problem, DataType::kFloat32, kFloat32Tolerance);
}

}  // namespace
}  // namespace attnserve
