#include "kernels/reference/reference_attention.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "kernels/encoding/alibi_slopes.h"
#include "kernels/encoding/rotary_frequencies.h"
#include "kernels/numeric/tensor_convert.h"

namespace attnserve {
namespace {

// Rotates one head vector by `position`, straight from encodings.md section 1.
void RotateHeadVector(double* x, const RotaryFrequencies& rotary, int64_t position) {
  const int d = rotary.rotary_dim;
  for (int i = 0; i < d / 2; ++i) {
    const int first = rotary.interleaved ? 2 * i : i;
    const int second = rotary.interleaved ? 2 * i + 1 : i + d / 2;
    const double angle = static_cast<double>(position) * rotary.inv_freq[i];
    const double c = rotary.attention_factor * std::cos(angle);
    const double s = rotary.attention_factor * std::sin(angle);
    const double a = x[first];
    const double b = x[second];
    x[first] = a * c - b * s;
    x[second] = b * c + a * s;
  }
}

// Rotates every head vector of a [batch, seq, heads, head_dim] buffer; element (b, s) sits at
// position offset_b + first_position + s.
void RotateAll(std::vector<double>& data, const AttentionProblem& problem, int64_t seq,
               int64_t heads, int64_t first_position, const RotaryFrequencies& rotary) {
  const int64_t head_dim = problem.shape.head_dim;
  for (int64_t b = 0; b < problem.shape.batch; ++b) {
    for (int64_t s = 0; s < seq; ++s) {
      const int64_t position = problem.position_offset(b) + first_position + s;
      for (int64_t h = 0; h < heads; ++h) {
        RotateHeadVector(&data[((b * seq + s) * heads + h) * head_dim], rotary, position);
      }
    }
  }
}

// The reference computation; nullopt when `should_stop` said stop.
std::optional<ReferenceAttentionResult> Compute(const AttentionProblem& problem,
                                                bool with_probabilities,
                                                const StopCheck& should_stop) {
  const AttentionShape& shape = problem.shape;
  std::vector<double> query = ToDoubleVector(problem.query);
  std::vector<double> key = ToDoubleVector(problem.key);
  const std::vector<double> value = ToDoubleVector(problem.value);
  const int64_t length = problem.request_length();
  if (problem.rotary) {
    const RotaryFrequencies rotary = ComputeRotaryFrequencies(*problem.rotary, length);
    RotateAll(query, problem, shape.q_len, shape.heads, shape.kv_len - shape.q_len, rotary);
    RotateAll(key, problem, shape.kv_len, shape.kv_heads, 0, rotary);
  }
  std::vector<double> slopes;
  if (problem.alibi) slopes = ResolveAlibiSlopes(*problem.alibi, shape.heads, length);

  ReferenceAttentionResult result;
  result.output.assign(shape.batch * shape.q_len * shape.heads * shape.v_head_dim, 0.0);
  result.lse.assign(shape.batch * shape.heads * shape.q_len, 0.0);
  if (with_probabilities) {
    result.probabilities.assign(shape.batch * shape.heads * shape.q_len * shape.kv_len, 0.0);
  }
  const int64_t group = shape.heads / shape.kv_heads;
  std::vector<double> logits(shape.kv_len);
  std::vector<bool> visible(shape.kv_len);

  for (int64_t b = 0; b < shape.batch; ++b) {
    const int64_t offset = problem.position_offset(b);
    for (int64_t h = 0; h < shape.heads; ++h) {
      const int64_t kv_head = h / group;
      for (int64_t i = 0; i < shape.q_len; ++i) {
        // Per row: a long row costs a left client kv_len dot products, not a whole head's.
        if (should_stop && should_stop()) return std::nullopt;
        const int64_t query_position = offset + shape.kv_len - shape.q_len + i;
        const double* q = &query[((b * shape.q_len + i) * shape.heads + h) * shape.head_dim];
        double max_logit = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < shape.kv_len; ++j) {
          const int64_t key_position = offset + j;
          visible[j] = j < problem.kv_length(b) &&
                       (!problem.causal || key_position <= query_position) &&
                       (problem.window == 0 || query_position - key_position < problem.window);
          if (!visible[j]) continue;
          const double* k =
              &key[((b * shape.kv_len + j) * shape.kv_heads + kv_head) * shape.head_dim];
          double dot = 0;
          for (int64_t c = 0; c < shape.head_dim; ++c) dot += q[c] * k[c];
          logits[j] = problem.softmax_scale * dot;
          if (!slopes.empty()) {
            logits[j] -= slopes[h] * static_cast<double>(std::llabs(query_position - key_position));
          }
          max_logit = std::max(max_logit, logits[j]);
        }
        const int64_t row = (b * shape.heads + h) * shape.q_len + i;
        if (max_logit == -std::numeric_limits<double>::infinity()) {
          result.lse[row] = max_logit;  // no visible key: output stays zero
          continue;
        }
        double sum = 0;
        for (int64_t j = 0; j < shape.kv_len; ++j) {
          if (visible[j]) sum += std::exp(logits[j] - max_logit);
        }
        result.lse[row] = max_logit + std::log(sum);
        double* out = &result.output[((b * shape.q_len + i) * shape.heads + h) * shape.v_head_dim];
        for (int64_t j = 0; j < shape.kv_len; ++j) {
          if (!visible[j]) continue;
          const double weight = std::exp(logits[j] - max_logit) / sum;
          if (with_probabilities) result.probabilities[row * shape.kv_len + j] = weight;
          const double* v =
              &value[((b * shape.kv_len + j) * shape.kv_heads + kv_head) * shape.v_head_dim];
          for (int64_t c = 0; c < shape.v_head_dim; ++c) out[c] += weight * v[c];
        }
      }
    }
  }
  return result;
}

}  // namespace

ReferenceAttentionResult ComputeReferenceAttention(const AttentionProblem& problem,
                                                   bool with_probabilities) {
  return *Compute(problem, with_probabilities, /*should_stop=*/{});
}

BackendDescription ReferenceBackend::Describe() const {
  return {"reference",
          {"cpu: float64, single thread"},
          {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16},
          "float64 plain-loop oracle; slow, for cross-checking other backends"};
}

absl::Status ReferenceBackend::Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                                   const StopCheck& should_stop) const {
  const std::optional<ReferenceAttentionResult> computed =
      Compute(problem, /*with_probabilities=*/outputs.probabilities != nullptr, should_stop);
  if (!computed) return absl::CancelledError("stopped while computing");
  const ReferenceAttentionResult& result = *computed;
  for (size_t n = 0; n < result.output.size(); ++n) {
    StoreElement(outputs.output.dtype, outputs.output.data, static_cast<int64_t>(n),
                 static_cast<float>(result.output[n]));
  }
  if (outputs.lse != nullptr) {
    for (size_t n = 0; n < result.lse.size(); ++n) outputs.lse[n] = result.lse[n];
  }
  if (outputs.probabilities != nullptr) {
    for (size_t n = 0; n < result.probabilities.size(); ++n) {
      outputs.probabilities[n] = static_cast<float>(result.probabilities[n]);
    }
  }
  return absl::OkStatus();
}

}  // namespace attnserve
