// Small device helpers the kernels share: element loads and stores in every dtype, warp
// reductions, and what a packed row (attention_params.h) stands for.
#ifndef ATTNSERVE_KERNELS_CUDA_DEVICE_ELEMENTS_H_
#define ATTNSERVE_KERNELS_CUDA_DEVICE_ELEMENTS_H_

#include <type_traits>

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/math/online_softmax.h"
#include "kernels/math/visibility.h"

namespace attnserve::cuda {

ATTN_DEVICE float ToFloat(float value) { return value; }
ATTN_DEVICE float ToFloat(__half value) { return __half2float(value); }
ATTN_DEVICE float ToFloat(__nv_bfloat16 value) { return __bfloat162float(value); }

template <typename T>
ATTN_DEVICE T FromFloat(float value) {
  if constexpr (std::is_same_v<T, float>) {
    return value;
  } else if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(value);
  } else {
    return __float2bfloat16_rn(value);
  }
}

// Stores element `index` of a buffer whose dtype is known only at run time (the output's).
ATTN_DEVICE void StoreAs(DataType dtype, void* base, int64_t index, float value) {
  switch (dtype) {
    case DataType::kFloat32:
      static_cast<float*>(base)[index] = value;
      break;
    case DataType::kFloat16:
      static_cast<__half*>(base)[index] = __float2half_rn(value);
      break;
    case DataType::kBFloat16:
      static_cast<__nv_bfloat16*>(base)[index] = __float2bfloat16_rn(value);
      break;
  }
}

// Reductions over the lanes l ^ 1, l ^ 2, ... l ^ (Width / 2) of a warp.
template <int Width>
ATTN_DEVICE float WarpMax(float value) {
  for (int mask = Width / 2; mask > 0; mask /= 2) {
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, mask));
  }
  return value;
}

template <int Width>
ATTN_DEVICE float WarpSum(float value) {
  for (int mask = Width / 2; mask > 0; mask /= 2) {
    value += __shfl_xor_sync(0xffffffffu, value, mask);
  }
  return value;
}

// Everything a kernel needs about one packed row of (batch, kv_head).
struct PackedRow {
  int64_t query_row;
  int64_t head;
  RowMask mask;
  KeyRange visible;
  int64_t nearest;   // NearestVisibleDistance, for the ALiBi shift
  float slope;       // natural ALiBi slope, 0 without ALiBi
  float slope_log2;  // slope * log2(e)
};

ATTN_DEVICE PackedRow DescribePackedRow(const AttentionKernelParams& p, int64_t batch,
                                        int64_t kv_head, int64_t packed_row) {
  PackedRow row;
  row.query_row = packed_row / p.group();
  row.head = kv_head * p.group() + packed_row % p.group();
  row.mask = {p.q_len, p.kv_len, p.kv_lengths ? p.kv_lengths[batch] : p.kv_len, p.causal, p.window};
  row.visible = VisibleKeys(row.mask, row.query_row);
  row.nearest = row.visible.end > row.visible.begin
                    ? NearestVisibleDistance(row.mask, row.query_row, row.visible)
                    : 0;
  row.slope = p.alibi_slopes ? p.alibi_slopes[row.head] : 0.0f;
  row.slope_log2 = row.slope * kLog2E;
  return row;
}

// |pos_q - pos_k| for key `key` of `row`.
ATTN_DEVICE int64_t KeyDistance(const PackedRow& row, int64_t key) {
  const int64_t difference = QueryKeyIndex(row.mask, row.query_row) - key;
  return difference < 0 ? -difference : difference;
}

// Writes column `column` of a finished, normalized row: to `output` without splits, to the
// split's partial buffer with them.
ATTN_DEVICE void WriteRowColumn(const AttentionKernelParams& p, int64_t batch, const PackedRow& row,
                                int split, int column, float value) {
  const int64_t row_index = (batch * p.q_len + row.query_row) * p.heads + row.head;
  if (p.num_splits == 1) {
    StoreAs(p.output_dtype, p.output, row_index * p.v_head_dim + column, value);
  } else {
    p.partial_output[(split * p.batch * p.q_len * p.heads + row_index) * p.v_head_dim + column] =
        value;
  }
}

ATTN_DEVICE void WriteRowLse(const AttentionKernelParams& p, int64_t batch, const PackedRow& row,
                             int split, float lse) {
  const int64_t lse_index = (batch * p.heads + row.head) * p.q_len + row.query_row;
  if (p.num_splits == 1) {
    if (p.lse != nullptr) p.lse[lse_index] = lse;
  } else {
    p.partial_lse[split * p.batch * p.heads * p.q_len + lse_index] = lse;
  }
}

// The keys split `split` covers.
ATTN_DEVICE KeyRange SplitKeys(const AttentionKernelParams& p, int split) {
  return {split * p.keys_per_split, split * p.keys_per_split + p.keys_per_split};
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_DEVICE_ELEMENTS_H_
