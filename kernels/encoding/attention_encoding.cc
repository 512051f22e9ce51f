#include "kernels/encoding/attention_encoding.h"

#include <numeric>

#include "kernels/encoding/alibi_slopes.h"

namespace attnserve {

AttentionEncoding BuildAttentionEncoding(const AttentionProblem& problem) {
  AttentionEncoding encoding;
  const int64_t length = problem.request_length();
  if (problem.rotary) encoding.rotary = ComputeRotaryFrequencies(*problem.rotary, length);
  if (problem.alibi) {
    encoding.alibi_slopes = ResolveAlibiSlopes(*problem.alibi, problem.shape.heads, length);
  }
  return encoding;
}

SequencePositions KeyPositions(const AttentionProblem& problem) {
  SequencePositions positions{problem.position_offsets, std::vector<int64_t>(problem.shape.kv_len)};
  std::iota(positions.seq_positions.begin(), positions.seq_positions.end(), 0);
  return positions;
}

SequencePositions QueryPositions(const AttentionProblem& problem) {
  SequencePositions positions{problem.position_offsets, std::vector<int64_t>(problem.shape.q_len)};
  std::iota(positions.seq_positions.begin(), positions.seq_positions.end(),
            problem.shape.kv_len - problem.shape.q_len);
  return positions;
}

}  // namespace attnserve
