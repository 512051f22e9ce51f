// Host planning of the cuda backend, which no kernel run shows directly: which shapes have a
// kernel, and when the standalone RoPE kernel may use 16-byte accesses.
#include <cstddef>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/attention_plan.h"
#include "kernels/cuda/rotary_apply_plan.h"

namespace attnserve::cuda {
namespace {

TEST(CudaPlan, ShapesNoKernelCoversAreUnimplemented) {
  AttentionProblem problem;
  problem.shape = {1, 2, 3, 1, 1, 512, 512};
  EXPECT_EQ(PlanAttention(problem, 132).status().code(), absl::StatusCode::kUnimplemented);
  problem.shape = {1, 2, 3, 1, 1, 256, 256};
  EXPECT_TRUE(PlanAttention(problem, 132).ok());
}

int PairsPerThread(DataType dtype, int head_dim, int rotary_dim, bool interleaved,
                   std::ptrdiff_t address) {
  RotaryFrequencies frequencies;
  frequencies.rotary_dim = rotary_dim;
  frequencies.interleaved = interleaved;
  frequencies.inv_freq.assign(rotary_dim / 2, 1.0);
  RotaryApplyBuffers buffers;
  buffers.data = reinterpret_cast<void*>(address);
  return PlanRotaryApply(frequencies, dtype, {1, 2, 2, head_dim}, buffers).pairs_per_thread;
}

TEST(CudaPlan, RotaryTakesSixteenBytesAtATimeOnlyWhenEveryRunIsAligned) {
  // 16 bytes: 4 float32 or 8 half elements of each half-split half, 2 or 4 interleaved pairs.
  EXPECT_EQ(PairsPerThread(DataType::kFloat32, 64, 64, false, 256), 4);
  EXPECT_EQ(PairsPerThread(DataType::kFloat16, 64, 64, false, 256), 8);
  EXPECT_EQ(PairsPerThread(DataType::kFloat32, 64, 64, true, 256), 2);
  EXPECT_EQ(PairsPerThread(DataType::kBFloat16, 128, 32, true, 256), 4);
  // A base off 16 bytes, a head vector that is not a multiple of 16 bytes, pairs that do not
  // make whole runs: one pair per thread.
  EXPECT_EQ(PairsPerThread(DataType::kFloat16, 64, 64, false, 258), 1);
  EXPECT_EQ(PairsPerThread(DataType::kFloat32, 6, 6, true, 256), 1);
  EXPECT_EQ(PairsPerThread(DataType::kFloat16, 40, 24, false, 256), 1);
}

}  // namespace
}  // namespace attnserve::cuda
