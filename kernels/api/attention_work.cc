#include "kernels/api/attention_work.h"

#include "kernels/math/visibility.h"

namespace attnserve {

AttentionWork CountAttentionWork(const AttentionProblem& problem) {
  const AttentionShape& shape = problem.shape;
  AttentionWork work;
  for (int64_t b = 0; b < shape.batch; ++b) {
    const RowMask mask{shape.q_len, shape.kv_len, problem.kv_length(b), problem.causal,
                       problem.window};
    for (int64_t i = 0; i < shape.q_len; ++i) {
      const KeyRange range = VisibleKeys(mask, i);
      work.visible_pairs += (range.end - range.begin) * shape.heads;
    }
  }
  work.flops = 2.0 * static_cast<double>(shape.head_dim + shape.v_head_dim) *
               static_cast<double>(work.visible_pairs);
  work.query_tokens = shape.batch * shape.q_len;
  return work;
}

}  // namespace attnserve
