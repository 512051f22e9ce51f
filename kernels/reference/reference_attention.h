// The float64 reference attention: the test oracle. Plain loops over docs/encodings.md
// section 5, written for obviousness, not speed; it shares only the frequency and slope tables
// with the other backends (those are pinned by the worked values of encodings.md). As a
// Backend ("reference") it lets clients cross-check the fast paths through the same API.
// Thread-safe.
#ifndef ATTNSERVE_KERNELS_REFERENCE_REFERENCE_ATTENTION_H_
#define ATTNSERVE_KERNELS_REFERENCE_REFERENCE_ATTENTION_H_

#include <vector>

#include "kernels/api/attention_problem.h"
#include "kernels/api/backend.h"

namespace attnserve {

struct ReferenceAttentionResult {
  std::vector<double> output;         // [batch, q_len, heads, v_head_dim]
  std::vector<double> lse;            // [batch, heads, q_len]; -inf for a row with no key
  std::vector<double> probabilities;  // [batch, heads, q_len, kv_len]; empty unless asked for
};

ReferenceAttentionResult ComputeReferenceAttention(const AttentionProblem& problem,
                                                   bool with_probabilities);

class ReferenceBackend final : public Backend {
 public:
  BackendDescription Describe() const override;
  // Polls `should_stop` once per (batch, head).
  absl::Status Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                   const StopCheck& should_stop) const override;
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_REFERENCE_REFERENCE_ATTENTION_H_
