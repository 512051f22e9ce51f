// Launches the RoPE kernels (rotary_kernels.h): the table of a request, and the standalone
// rotation of a tensor. `Launcher` is as in attention_launch.h: <<<>>> on a stream or the CPU
// shim. Compiled by nvcc and by g++ alike.
#ifndef ATTNSERVE_KERNELS_CUDA_ROTARY_LAUNCH_H_
#define ATTNSERVE_KERNELS_CUDA_ROTARY_LAUNCH_H_

#include "kernels/cuda/kernel_geometry.h"
#include "kernels/cuda/rotary_apply_plan.h"
#include "kernels/cuda/rotary_kernels.h"
#include "kernels/math/ceil_div.h"

namespace attnserve::cuda {

// Fills `table.table` for `batches` batch elements (1 when they share their positions).
template <typename Launcher>
void LaunchRotaryTable(const RotaryTableParams& table, int64_t batches, Launcher& launch) {
  const int64_t entries = table.rows * table.pairs;
  if (entries == 0) return;
  launch(
      RotaryTableKernel,
      dim3(static_cast<unsigned>(CeilDiv(entries, kRotaryThreads)), static_cast<unsigned>(batches)),
      dim3(kRotaryThreads), 0, table);
}

template <typename T, RotaryLayout Layout, typename Launcher>
void LaunchRotaryApplyKernel(const RotaryApplyLaunch& plan, Launcher& launch) {
  constexpr int kWide = WideRotaryPairs(sizeof(T), Layout == RotaryLayout::kInterleaved);
  const dim3 grid(static_cast<unsigned>(CeilDiv(plan.threads, kRotaryThreads)));
  if (plan.pairs_per_thread == kWide) {
    launch(RotaryApplyKernel<T, Layout, kWide>, grid, dim3(kRotaryThreads), 0, plan.apply);
  } else {
    launch(RotaryApplyKernel<T, Layout, 1>, grid, dim3(kRotaryThreads), 0, plan.apply);
  }
}

template <typename T, typename Launcher>
void LaunchRotaryApplyForType(const RotaryApplyLaunch& plan, Launcher& launch) {
  if (plan.interleaved) {
    LaunchRotaryApplyKernel<T, RotaryLayout::kInterleaved>(plan, launch);
  } else {
    LaunchRotaryApplyKernel<T, RotaryLayout::kHalfSplit>(plan, launch);
  }
}

template <typename Launcher>
void LaunchRotaryApply(const RotaryApplyLaunch& plan, Launcher& launch) {
  if (plan.threads == 0) return;
  LaunchRotaryTable(plan.table, 1, launch);
  switch (plan.dtype) {
    case DataType::kFloat32:
      LaunchRotaryApplyForType<float>(plan, launch);
      break;
    case DataType::kFloat16:
      LaunchRotaryApplyForType<__half>(plan, launch);
      break;
    case DataType::kBFloat16:
      LaunchRotaryApplyForType<__nv_bfloat16>(plan, launch);
      break;
  }
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ROTARY_LAUNCH_H_
