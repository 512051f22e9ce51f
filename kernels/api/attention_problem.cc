#include "kernels/api/attention_problem.h"

#include <algorithm>

namespace attnserve {

int64_t AttentionProblem::request_length() const {
  int64_t max_offset = 0;
  for (int64_t offset : position_offsets) max_offset = std::max(max_offset, offset);
  return max_offset + shape.kv_len;
}

const char* EncodingKind(const AttentionProblem& problem) {
  if (problem.rotary && problem.alibi) return "hybrid";
  if (problem.rotary) return "rotary";
  if (problem.alibi) return "alibi";
  return "none";
}

}  // namespace attnserve
