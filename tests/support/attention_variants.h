// The encoding variants of docs/encodings.md and the mask options every backend test runs: one
// list, so that the cpu backend and the cuda kernels are held to the same cases.
#ifndef ATTNSERVE_TESTS_SUPPORT_ATTENTION_VARIANTS_H_
#define ATTNSERVE_TESTS_SUPPORT_ATTENTION_VARIANTS_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "kernels/api/attention_problem.h"

namespace attnserve::testing {

struct EncodingVariant {
  std::string name;
  std::optional<RotarySpec> rotary;
  std::optional<AlibiSpec> alibi;
};

// One variant per RoPE scaling and layout (full and partial rotary dims), ALiBi alone and with
// explicit interpolated slopes for 4 heads, and hybrid, for head vectors of `head_dim`.
std::vector<EncodingVariant> EncodingVariants(int head_dim);

struct MaskOption {
  std::string name;
  bool causal;
  int64_t window;
  std::vector<int64_t> position_offsets;  // batch 2
  std::vector<int64_t> kv_lengths;
};

// Full, causal, windows, large per-batch offsets and kv_lengths; for batch 2 and kv_len >= 21.
std::vector<MaskOption> MaskOptions();

// GoogleTest prints parameters with these: by name, so that test names (and ctest's, which
// carry the printed parameter) stay short and the same from run to run.
void PrintTo(const EncodingVariant& variant, std::ostream* out);
void PrintTo(const MaskOption& mask, std::ostream* out);

AttentionProblem ProblemFor(const EncodingVariant& encoding, const MaskOption& mask,
                            const AttentionShape& shape);

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_ATTENTION_VARIANTS_H_
