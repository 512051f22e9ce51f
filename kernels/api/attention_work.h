// How much work an attention problem is, counted exactly: only (query, key) pairs the mask
// leaves visible are work (masked ones are skipped, not computed). Each visible pair costs
// 2*head_dim FLOPs for its score and 2*v_head_dim for its share of the output, summed over
// query heads. Pure function; O(batch * q_len).
#ifndef ATTNSERVE_KERNELS_API_ATTENTION_WORK_H_
#define ATTNSERVE_KERNELS_API_ATTENTION_WORK_H_

#include <cstdint>

#include "kernels/api/attention_problem.h"

namespace attnserve {

struct AttentionWork {
  int64_t visible_pairs = 0;  // over batch and query heads
  double flops = 0;           // 2 * (head_dim + v_head_dim) per visible pair
  int64_t query_tokens = 0;   // batch * q_len
};

AttentionWork CountAttentionWork(const AttentionProblem& problem);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_API_ATTENTION_WORK_H_
