// Attention on CUDA cores, in float32 throughout: the path for float32 inputs (it keeps fp32
// accuracy, which tensor cores would not) and for head dims the tensor-core kernel does not
// cover. One warp per packed row (attention_params.h); RoPE and ALiBi are applied as K and the
// scores are read, never materialized; keys may be split over blockIdx.z (flash-decoding).
//
// A warp walks its visible keys 32 at a time: lane l scores key j0 + l against the row's
// rotated, pre-scaled query (shared memory), the 32 scores update the online softmax, and then
// every lane adds the 32 weighted value rows into the columns it owns (l, l + 32, ...).
#ifndef ATTNSERVE_KERNELS_CUDA_SIMT_ATTENTION_KERNEL_H_
#define ATTNSERVE_KERNELS_CUDA_SIMT_ATTENTION_KERNEL_H_

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_elements.h"
#include "kernels/cuda/kernel_geometry.h"
#include "kernels/math/online_softmax.h"
#include "kernels/math/rotary_pair.h"

namespace attnserve::cuda {

// Element `dim` of a head vector at key index `index`, rotated when RoPE covers it.
template <typename T, RotaryLayout Layout>
ATTN_DEVICE float RotatedLoad(const T* vector, int dim, const RotaryTable& rotary, int64_t batch,
                              int64_t index) {
  const float value = ToFloat(vector[dim]);
  if (rotary.pairs == nullptr || dim >= rotary.rotary_dim) return value;
  const RotaryElement element = RotaryElementOf<Layout>(dim, rotary.rotary_dim);
  const CosSinPair cs =
      rotary.pairs[batch * rotary.batch_stride +
                   (index - rotary.first_index) * (rotary.rotary_dim / 2) + element.pair];
  return RotatedElement(value, ToFloat(vector[element.partner]), element.first, cs.cos, cs.sin);
}

// grid (ceil(packed_rows / 4), batch * kv_heads, num_splits), block 128,
// shared SimtSharedBytes(head_dim).
template <typename T, RotaryLayout Layout>
__global__ void __launch_bounds__(128) SimtAttentionKernel(const AttentionKernelParams p) {
  const int lane = LaneIndex();
  const int64_t packed_row = static_cast<int64_t>(blockIdx.x) * kSimtWarpsPerBlock + WarpIndex();
  if (packed_row >= p.packed_rows()) return;  // whole warps leave; no block barrier follows
  const int64_t batch = blockIdx.y / p.kv_heads;
  const int64_t kv_head = blockIdx.y % p.kv_heads;
  const int split = static_cast<int>(blockIdx.z);
  const PackedRow row = DescribePackedRow(p, batch, kv_head, packed_row);

  float* query = reinterpret_cast<float*>(DynamicSharedMemory()) + WarpIndex() * p.head_dim;
  const T* query_vector = static_cast<const T*>(p.query) +
                          ((batch * p.q_len + row.query_row) * p.heads + row.head) * p.head_dim;
  const int64_t query_index = QueryKeyIndex(row.mask, row.query_row);
  for (int d = lane; d < p.head_dim; d += 32) {
    query[d] = RotatedLoad<T, Layout>(query_vector, d, p.rotary, batch, query_index) * p.scale_log2;
  }
  __syncwarp();

  const KeyRange split_keys = p.num_splits == 1 ? KeyRange{0, p.kv_len} : SplitKeys(p, split);
  const int64_t begin = row.visible.begin > split_keys.begin ? row.visible.begin : split_keys.begin;
  const int64_t end = row.visible.end < split_keys.end ? row.visible.end : split_keys.end;
  const int64_t key_row_stride = p.kv_heads * p.head_dim;
  const int64_t value_row_stride = p.kv_heads * p.v_head_dim;
  const T* keys =
      static_cast<const T*>(p.key) + batch * p.kv_len * key_row_stride + kv_head * p.head_dim;
  const T* values =
      static_cast<const T*>(p.value) + batch * p.kv_len * value_row_stride + kv_head * p.v_head_dim;

  float row_max = -INFINITY, row_sum = 0;
  float accumulator[kSimtMaxValueColumnsPerLane] = {};
  for (int64_t first_key = begin; first_key < end; first_key += 32) {
    const int64_t key = first_key + lane;
    float score = -INFINITY;
    if (key < end) {
      const T* key_vector = keys + key * key_row_stride;
      float dot = 0;
      for (int d = 0; d < p.head_dim; ++d) {
        dot += query[d] * RotatedLoad<T, Layout>(key_vector, d, p.rotary, batch, key);
      }
      score = dot + AlibiLog2Bias(row.slope_log2, KeyDistance(row, key), row.nearest);
    }
    const float new_max = fmaxf(row_max, WarpMax<32>(score));
    const float rescale = RescaleFactor(row_max, new_max);
    const float weight = key < end ? exp2f(score - new_max) : 0.0f;
    row_sum = row_sum * rescale + WarpSum<32>(weight);
    row_max = new_max;
    ATTN_UNROLL
    for (int c = 0; c < kSimtMaxValueColumnsPerLane; ++c) accumulator[c] *= rescale;
    const int keys_here = end - first_key < 32 ? static_cast<int>(end - first_key) : 32;
    for (int k = 0; k < keys_here; ++k) {
      const float key_weight = __shfl_sync(0xffffffffu, weight, k);
      const T* value_vector = values + (first_key + k) * value_row_stride;
      ATTN_UNROLL
      for (int c = 0; c < kSimtMaxValueColumnsPerLane; ++c) {
        const int column = lane + 32 * c;
        if (column < p.v_head_dim) accumulator[c] += key_weight * ToFloat(value_vector[column]);
      }
    }
  }

  const float inverse_sum = row_sum > 0 ? 1.0f / row_sum : 0.0f;
  ATTN_UNROLL
  for (int c = 0; c < kSimtMaxValueColumnsPerLane; ++c) {
    const int column = lane + 32 * c;
    if (column < p.v_head_dim) {
      WriteRowColumn(p, batch, row, split, column, accumulator[c] * inverse_sum);
    }
  }
  if (lane == 0)
    WriteRowLse(p, batch, row, split, RowLse(row_max, row_sum, row.slope, row.nearest));
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_SIMT_ATTENTION_KERNEL_H_
