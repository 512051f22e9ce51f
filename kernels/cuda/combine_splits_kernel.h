// The second half of split-KV (flash-decoding): merges each row's per-split results by
// log-sum-exp into the output and lse. One warp per (batch, query row, head).
#ifndef ATTNSERVE_KERNELS_CUDA_COMBINE_SPLITS_KERNEL_H_
#define ATTNSERVE_KERNELS_CUDA_COMBINE_SPLITS_KERNEL_H_

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_elements.h"
#include "kernels/cuda/kernel_geometry.h"
#include "kernels/math/online_softmax.h"

namespace attnserve::cuda {

// grid ceil(batch * q_len * heads / 4), block 128.
__global__ void __launch_bounds__(128) CombineSplitsKernel(const AttentionKernelParams p) {
  const int lane = LaneIndex();
  const int64_t row_index = static_cast<int64_t>(blockIdx.x) * kCombineWarpsPerBlock + WarpIndex();
  const int64_t rows = p.batch * p.q_len * p.heads;
  if (row_index >= rows) return;
  const int64_t head = row_index % p.heads;
  const int64_t query_row = row_index / p.heads % p.q_len;
  const int64_t batch = row_index / (p.heads * p.q_len);
  const int64_t lse_index = (batch * p.heads + head) * p.q_len + query_row;
  const int64_t lse_stride = p.batch * p.heads * p.q_len;

  float max_lse = -INFINITY;
  for (int s = 0; s < p.num_splits; ++s)
    max_lse = fmaxf(max_lse, p.partial_lse[s * lse_stride + lse_index]);
  float weight_sum = 0;
  for (int s = 0; s < p.num_splits; ++s) {
    weight_sum += MergeWeight(p.partial_lse[s * lse_stride + lse_index], max_lse);
  }
  const float inverse_sum = weight_sum > 0 ? 1.0f / weight_sum : 0.0f;
  for (int64_t c = lane; c < p.v_head_dim; c += 32) {
    float value = 0;
    for (int s = 0; s < p.num_splits; ++s) {
      const float weight = MergeWeight(p.partial_lse[s * lse_stride + lse_index], max_lse);
      if (weight > 0) value += weight * p.partial_output[(s * rows + row_index) * p.v_head_dim + c];
    }
    StoreAs(p.output_dtype, p.output, row_index * p.v_head_dim + c, value * inverse_sum);
  }
  if (lane == 0 && p.lse != nullptr) {
    p.lse[lse_index] = weight_sum > 0 ? max_lse + logf(weight_sum) : -INFINITY;
  }
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_COMBINE_SPLITS_KERNEL_H_
