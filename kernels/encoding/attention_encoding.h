// The per-request encoding tables of an attention problem: RoPE frequencies for the request
// length and the ALiBi slope of every query head. Built once per request on the host and
// consumed by every backend.
#ifndef ATTNSERVE_KERNELS_ENCODING_ATTENTION_ENCODING_H_
#define ATTNSERVE_KERNELS_ENCODING_ATTENTION_ENCODING_H_

#include <optional>
#include <vector>

#include "kernels/api/attention_problem.h"
#include "kernels/encoding/rotary_apply.h"
#include "kernels/encoding/rotary_frequencies.h"

namespace attnserve {

struct AttentionEncoding {
  std::optional<RotaryFrequencies> rotary;
  std::vector<double> alibi_slopes;  // empty without ALiBi, else one per query head
};

AttentionEncoding BuildAttentionEncoding(const AttentionProblem& problem);

// Positions of the keys (offset_b + j) and of the queries (offset_b + kv_len - q_len + i).
SequencePositions KeyPositions(const AttentionProblem& problem);
SequencePositions QueryPositions(const AttentionProblem& problem);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_ENCODING_ATTENTION_ENCODING_H_
