// The per-row steps of a streaming (online) softmax in the log2 domain, and the log-sum-exp
// merge of rows computed over separate key ranges (split-KV). Scores arrive already multiplied
// by log2(e), so each exponential is one exp2. A row that has seen no visible key has max -inf
// and sum 0; every function keeps such rows free of NaN (the reference for exponents is 0).
#ifndef ATTNSERVE_KERNELS_MATH_ONLINE_SOFTMAX_H_
#define ATTNSERVE_KERNELS_MATH_ONLINE_SOFTMAX_H_

#include <cmath>
#include <cstdint>

#include "kernels/math/host_device.h"

namespace attnserve {

inline constexpr float kLog2E = 1.4426950408889634f;
inline constexpr float kLn2 = 0.6931471805599453f;

// The exponent reference of a row: its max, or 0 while the max is still -inf.
ATTN_HOST_DEVICE float ExponentReference(float row_max) {
  return row_max == -INFINITY ? 0.0f : row_max;
}

// What the running sum and accumulator are multiplied by when the max grows from `old_max` to
// `new_max` (>= old_max). While the max was -inf they are still 0 and stay 0; multiplying them
// by exp2(0 - new_max) instead could give 0 * inf = NaN.
ATTN_HOST_DEVICE float RescaleFactor(float old_max, float new_max) {
  return old_max == -INFINITY ? 0.0f : exp2f(old_max - new_max);
}

// ALiBi's addition to a log2-domain score: -slope*log2(e) times the distance beyond the nearest
// visible one (visibility.h's NearestVisibleDistance), so the largest visible bias is 0.
ATTN_HOST_DEVICE float AlibiLog2Bias(float slope_log2, int64_t distance, int64_t nearest) {
  return -slope_log2 * static_cast<float>(distance - nearest);
}

// The natural-log lse of a finished row: max and sum in the log2 domain, the ALiBi shift added
// back. -inf for a row without visible keys.
ATTN_HOST_DEVICE float RowLse(float max_log2, float sum, float slope, int64_t nearest) {
  if (!(sum > 0)) return -INFINITY;
  return (max_log2 + log2f(sum)) * kLn2 - slope * static_cast<float>(nearest);
}

// The weight of a partial row with lse `partial_lse` in a merge whose largest lse is `max_lse`;
// a partial that saw no key weighs 0.
ATTN_HOST_DEVICE float MergeWeight(float partial_lse, float max_lse) {
  return partial_lse == -INFINITY ? 0.0f : expf(partial_lse - max_lse);
}

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_MATH_ONLINE_SOFTMAX_H_
