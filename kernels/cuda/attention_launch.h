// Launches the kernels of an AttentionPlan: the RoPE table (rotary_launch.h), the attention kernel
// for the problem's dtype, head dim and RoPE layout, and the split merge. `Launcher` is how a
// kernel runs: <<<>>> on a CUDA stream in cuda_backend.cu, the CPU shim in shim_backend.cc; both
// call `launch(kernel, grid, block, shared_bytes, params)`. Compiled by nvcc and by g++ alike.
#ifndef ATTNSERVE_KERNELS_CUDA_ATTENTION_LAUNCH_H_
#define ATTNSERVE_KERNELS_CUDA_ATTENTION_LAUNCH_H_

#include "kernels/cuda/attention_plan.h"
#include "kernels/cuda/combine_splits_kernel.h"
#include "kernels/cuda/flash_attention_kernel.h"
#include "kernels/cuda/kernel_geometry.h"
#include "kernels/cuda/rotary_launch.h"
#include "kernels/cuda/simt_attention_kernel.h"
#include "kernels/math/ceil_div.h"

namespace attnserve::cuda {

template <typename T, RotaryLayout Layout, typename Launcher>
void LaunchAttentionKernel(const AttentionPlan& plan, const AttentionKernelParams& params,
                           Launcher& launch) {
  const dim3 grid(static_cast<unsigned>(plan.row_blocks),
                  static_cast<unsigned>(params.batch * params.kv_heads),
                  static_cast<unsigned>(plan.num_splits));
  if constexpr (!std::is_same_v<T, float>) {
    if (plan.kind == AttentionKernelKind::kFlash) {
      if (params.head_dim == 64) {
        launch(FlashAttentionKernel<T, 64, Layout>, grid, dim3(kFlashThreads), FlashSharedBytes(64),
               params);
      } else {
        launch(FlashAttentionKernel<T, 128, Layout>, grid, dim3(kFlashThreads),
               FlashSharedBytes(128), params);
      }
      return;
    }
  }
  launch(SimtAttentionKernel<T, Layout>, grid, dim3(kSimtThreads),
         SimtSharedBytes(static_cast<int>(params.head_dim)), params);
}

template <typename T, typename Launcher>
void LaunchForType(const AttentionPlan& plan, const AttentionKernelParams& params,
                   Launcher& launch) {
  if (params.rotary.interleaved) {
    LaunchAttentionKernel<T, RotaryLayout::kInterleaved>(plan, params, launch);
  } else {
    LaunchAttentionKernel<T, RotaryLayout::kHalfSplit>(plan, params, launch);
  }
}

template <typename Launcher>
void LaunchAttention(const AttentionPlan& plan, DataType input_dtype,
                     const AttentionKernelParams& params, const RotaryTableParams& table,
                     Launcher& launch) {
  if (table.table != nullptr) LaunchRotaryTable(table, plan.table_batches, launch);
  switch (input_dtype) {
    case DataType::kFloat32:
      LaunchForType<float>(plan, params, launch);
      break;
    case DataType::kFloat16:
      LaunchForType<__half>(plan, params, launch);
      break;
    case DataType::kBFloat16:
      LaunchForType<__nv_bfloat16>(plan, params, launch);
      break;
  }
  if (plan.num_splits > 1) {
    const int64_t rows = params.batch * params.q_len * params.heads;
    launch(CombineSplitsKernel, dim3(static_cast<unsigned>(CeilDiv(rows, kCombineWarpsPerBlock))),
           dim3(kCombineThreads), 0, params);
  }
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ATTENTION_LAUNCH_H_
