#include "tests/support/attention_variants.h"

#include <cmath>
#include <utility>

namespace attnserve::testing {

std::vector<EncodingVariant> EncodingVariants(int head_dim) {
  const auto rope = [head_dim](RotaryScaling scaling, double theta = 10000, int rotary_dim = 0,
                               bool interleaved = false) {
    return RotarySpec{theta, rotary_dim == 0 ? head_dim : rotary_dim, interleaved,
                      std::move(scaling)};
  };
  YarnScaling yarn_deepseek{40, 4096};
  yarn_deepseek.mscale = 0.707;
  yarn_deepseek.mscale_all_dim = 0.707;
  YarnScaling yarn_gptoss{32, 4096};
  yarn_gptoss.truncate = false;
  // LongRoPE's per-pair factors, growing from 1 like Phi-3's.
  std::vector<double> short_factors, long_factors;
  for (int pair = 0; pair < head_dim / 2; ++pair) {
    const double x = static_cast<double>(pair) / (head_dim / 2 - 1);
    short_factors.push_back(1 + 7 * x * x);
    long_factors.push_back(1 + 23 * x);
  }
  const LongRopeScaling longrope{short_factors, long_factors, 4096, 32};
  return {
      {"none", std::nullopt, std::nullopt},
      {"default", rope(std::monostate{}), std::nullopt},
      {"default_interleaved", rope(std::monostate{}, 500000, 0, true), std::nullopt},
      {"partial_rotary", rope(std::monostate{}, 10000, head_dim / 2), std::nullopt},
      {"linear", rope(LinearScaling{4}), std::nullopt},
      {"ntk", rope(NtkScaling{4}), std::nullopt},
      {"dynamic_ntk", rope(DynamicNtkScaling{2, 4096}), std::nullopt},
      {"yarn", rope(YarnScaling{4, 4096}), std::nullopt},
      {"yarn_deepseek", rope(yarn_deepseek), std::nullopt},
      {"yarn_gptoss", rope(yarn_gptoss, 150000, 0, true), std::nullopt},
      {"llama3", rope(Llama3Scaling{}, 500000), std::nullopt},
      {"longrope", rope(longrope), std::nullopt},
      {"alibi", std::nullopt, AlibiSpec{}},
      {"alibi_explicit_interpolated", std::nullopt, AlibiSpec{{0.5, 0.25, 0.7, 0.0}, 8, 1024}},
      {"hybrid_yarn_alibi", rope(YarnScaling{8, 2048}, 10000, 0, true), AlibiSpec{{}, 4, 0}},
  };
}

std::vector<MaskOption> MaskOptions() {
  return {
      {"full", false, 0, {}, {}},
      {"causal", true, 0, {}, {}},
      {"causal_window_offsets", true, 5, {40000, 3}, {}},
      {"noncausal_window_lengths", false, 7, {70000, 12345}, {13, 4}},
      {"causal_lengths_offsets", true, 0, {65536, 0}, {20, 9}},
  };
}

void PrintTo(const EncodingVariant& variant, std::ostream* out) { *out << variant.name; }
void PrintTo(const MaskOption& mask, std::ostream* out) { *out << mask.name; }

AttentionProblem ProblemFor(const EncodingVariant& encoding, const MaskOption& mask,
                            const AttentionShape& shape) {
  AttentionProblem problem;
  problem.shape = shape;
  problem.rotary = encoding.rotary;
  problem.alibi = encoding.alibi;
  problem.causal = mask.causal;
  problem.window = mask.window;
  problem.position_offsets = mask.position_offsets;
  problem.kv_lengths = mask.kv_lengths;
  return problem;
}

}  // namespace attnserve::testing
