// Which keys a query row sees (docs/encodings.md section 5). For query row i the visible keys
// form one contiguous range, because causality and the window bound j from the right and the
// left and kv_lengths from the right; positions only enter as the difference pos_q - pos_k,
// in which the per-batch offset cancels.
#ifndef ATTNSERVE_KERNELS_MATH_VISIBILITY_H_
#define ATTNSERVE_KERNELS_MATH_VISIBILITY_H_

#include <cstdint>

#include "kernels/math/host_device.h"

namespace attnserve {

struct RowMask {
  int64_t q_len;
  int64_t kv_len;
  int64_t kv_length;  // this batch element's valid keys, <= kv_len
  bool causal;
  int64_t window;  // 0 means unlimited
};

// Visible keys are [begin, end); empty when end <= begin.
struct KeyRange {
  int64_t begin;
  int64_t end;
};

// The key index aligned with query row i: pos_q(i) - pos_k(j) = QueryKeyIndex(i) - j.
ATTN_HOST_DEVICE int64_t QueryKeyIndex(const RowMask& mask, int64_t query_row) {
  return mask.kv_len - mask.q_len + query_row;
}

ATTN_HOST_DEVICE KeyRange VisibleKeys(const RowMask& mask, int64_t query_row) {
  const int64_t aligned = QueryKeyIndex(mask, query_row);
  // aligned - window + 1 > 0 exactly when aligned >= window; written so that it cannot
  // overflow for any window (aligned is negative for early rows when q_len > kv_len).
  int64_t begin = 0;
  if (mask.window > 0 && aligned >= mask.window) begin = aligned - mask.window + 1;
  int64_t end = mask.kv_length;
  if (mask.causal && aligned + 1 < end) end = aligned + 1;
  if (end < begin) end = begin;
  return {begin, end};
}

// The smallest |pos_q - pos_k| over a non-empty visible range. ALiBi biases are taken relative
// to it, so the largest visible bias is 0 and fp32 logits keep their precision even when every
// visible key is far away; softmax is unchanged by the per-row shift and lse adds it back.
ATTN_HOST_DEVICE int64_t NearestVisibleDistance(const RowMask& mask, int64_t query_row,
                                                KeyRange range) {
  const int64_t aligned = QueryKeyIndex(mask, query_row);
  if (aligned < range.begin) return range.begin - aligned;
  if (aligned >= range.end) return aligned - (range.end - 1);
  return 0;
}

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_MATH_VISIBILITY_H_
