// One attention computation as the kernels see it: validated inputs, the encoding to apply and
// the options of docs/encodings.md section 5. The views point into memory the caller owns and
// keeps alive until the backend returns. Plain values; thread-safe to read.
#ifndef ATTNSERVE_KERNELS_API_ATTENTION_PROBLEM_H_
#define ATTNSERVE_KERNELS_API_ATTENTION_PROBLEM_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "kernels/api/encoding_spec.h"
#include "kernels/api/tensor_view.h"

namespace attnserve {

struct AttentionShape {
  int64_t batch = 0;
  int64_t q_len = 0;
  int64_t kv_len = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;  // divides heads; query head h reads kv head h / (heads / kv_heads)
  int64_t head_dim = 0;
  int64_t v_head_dim = 0;
};

struct AttentionProblem {
  AttentionShape shape;
  TensorView query;  // [batch, q_len, heads, head_dim]
  TensorView key;    // [batch, kv_len, kv_heads, head_dim], same dtype as query
  TensorView value;  // [batch, kv_len, kv_heads, v_head_dim], same dtype as query
  std::optional<RotarySpec> rotary;
  std::optional<AlibiSpec> alibi;
  bool causal = false;
  double softmax_scale = 1;               // already resolved (the API's 0 means 1 / sqrt(head_dim))
  int64_t window = 0;                     // 0 means unlimited
  std::vector<int64_t> position_offsets;  // empty or one per batch element
  std::vector<int64_t> kv_lengths;        // empty or one per batch element

  int64_t position_offset(int64_t b) const {
    return position_offsets.empty() ? 0 : position_offsets[b];
  }
  int64_t kv_length(int64_t b) const { return kv_lengths.empty() ? shape.kv_len : kv_lengths[b]; }
  // The request length L of encodings.md section 1: 1 + the largest key position.
  int64_t request_length() const;
};

// "none", "rotary", "alibi" or "hybrid" (both): how reports and metrics name the encoding.
const char* EncodingKind(const AttentionProblem& problem);

// Where a backend writes its results. `output` is [batch, q_len, heads, v_head_dim] in any
// dtype; `lse` ([batch, heads, q_len]) and `probabilities` ([batch, heads, q_len, kv_len]) are
// float32 and written only when not null.
struct AttentionOutputs {
  MutableTensorView output;
  float* lse = nullptr;
  float* probabilities = nullptr;
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_API_ATTENTION_PROBLEM_H_
