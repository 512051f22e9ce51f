// The CUDA-execution shim itself: barriers order shared memory, shuffles exchange lanes,
// shared memory starts poisoned, cp.async lands only at its wait, a deadlock is reported, in
// both lane modes.
#include <cmath>
#include <ostream>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/ptx.h"

namespace attnserve::cudashim {

// GoogleTest prints the parameter with this (ctest's test names carry it) and names the cases.
const char* LaneModeName(LaneMode mode) { return mode == LaneMode::kFibers ? "Fibers" : "Threads"; }
void PrintTo(LaneMode mode, std::ostream* out) { *out << LaneModeName(mode); }

}  // namespace attnserve::cudashim

namespace attnserve::cuda {
namespace {

using cudashim::LaneMode;

// Each thread writes its index to shared memory; after the barrier thread 0 sums them all.
__global__ void BlockSumKernel(int* out) {
  int* shared = reinterpret_cast<int*>(DynamicSharedMemory());
  shared[threadIdx.x] = static_cast<int>(threadIdx.x) + 1;
  __syncthreads();
  if (threadIdx.x == 0) {
    int sum = 0;
    for (unsigned i = 0; i < blockDim.x; ++i) sum += shared[i];
    out[blockIdx.x] = sum;
  }
}

// Every lane reduces with xor shuffles and broadcasts lane 5's value.
__global__ void ShuffleKernel(float* sums, float* broadcast) {
  const float mine = static_cast<float>(threadIdx.x) * 0.5f;
  float sum = mine;
  for (int mask = 16; mask > 0; mask /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, mask);
  sums[threadIdx.x] = sum;
  broadcast[threadIdx.x] = __shfl_sync(0xffffffffu, mine, 5);
}

__global__ void ReadUnwrittenSharedKernel(float* out) {
  out[threadIdx.x] = reinterpret_cast<float*>(DynamicSharedMemory())[threadIdx.x];
}

// Copies 16 bytes per lane with cp.async and reads them back before and after the wait.
__global__ void AsyncCopyKernel(const float* source, float* before_wait, float* after_wait) {
  float* shared = reinterpret_cast<float*>(DynamicSharedMemory()) + 4 * threadIdx.x;
  CpAsync16(shared, source + 4 * threadIdx.x, true);
  CpAsyncCommit();
  before_wait[threadIdx.x] = shared[0];
  CpAsyncWait<0>();
  after_wait[threadIdx.x] = shared[0];
}

class ShimModes : public ::testing::TestWithParam<LaneMode> {};

TEST_P(ShimModes, SyncThreadsOrdersSharedMemoryAcrossWarps) {
  std::vector<int> sums(3, 0);
  cudashim::Launch(BlockSumKernel, {dim3(3), dim3(96), 96 * sizeof(int), GetParam()}, sums.data());
  EXPECT_EQ(sums, std::vector<int>(3, 96 * 97 / 2));
}

TEST_P(ShimModes, ShufflesExchangeValuesBetweenLanes) {
  std::vector<float> sums(64), broadcast(64);
  cudashim::Launch(ShuffleKernel, {dim3(1), dim3(64), 0, GetParam()}, sums.data(),
                   broadcast.data());
  for (int lane = 0; lane < 64; ++lane) {
    const int warp_base = lane / 32 * 32;
    EXPECT_EQ(sums[lane], 0.5f * (32 * warp_base + 31 * 32 / 2)) << lane;
    EXPECT_EQ(broadcast[lane], 0.5f * (warp_base + 5)) << lane;
  }
}

TEST_P(ShimModes, SharedMemoryStartsAsNaN) {
  std::vector<float> out(32, 0);
  cudashim::Launch(ReadUnwrittenSharedKernel, {dim3(1), dim3(32), 32 * sizeof(float), GetParam()},
                   out.data());
  for (float value : out) EXPECT_TRUE(std::isnan(value));
}

TEST_P(ShimModes, AsyncCopiesLandOnlyAtTheirWait) {
  std::vector<float> source(4 * 32);
  for (size_t i = 0; i < source.size(); ++i) source[i] = 0.25f * static_cast<float>(i) + 1;
  std::vector<float> before(32), after(32);
  cudashim::Launch(AsyncCopyKernel, {dim3(1), dim3(32), source.size() * sizeof(float), GetParam()},
                   static_cast<const float*>(source.data()), before.data(), after.data());
  for (int lane = 0; lane < 32; ++lane) {
    EXPECT_TRUE(std::isnan(before[lane])) << lane;
    EXPECT_EQ(after[lane], source[4 * lane]) << lane;
  }
}

INSTANTIATE_TEST_SUITE_P(BothModes, ShimModes,
                         ::testing::Values(LaneMode::kFibers, LaneMode::kThreads),
                         [](const auto& info) { return cudashim::LaneModeName(info.param); });

}  // namespace
}  // namespace attnserve::cuda
