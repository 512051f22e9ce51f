#include "kernels/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include "kernels/encoding/attention_encoding.h"
#include "kernels/encoding/rotary_apply.h"
#include "kernels/math/visibility.h"
#include "kernels/numeric/tensor_convert.h"

namespace attnserve {
namespace {

// Inputs converted to float and rotated, ready for the row loop.
struct PreparedInputs {
  std::vector<float> query;
  std::vector<float> key;
  std::vector<float> value;
};

PreparedInputs PrepareInputs(const AttentionProblem& problem, const AttentionEncoding& encoding) {
  PreparedInputs inputs{ToFloatVector(problem.query), ToFloatVector(problem.key),
                        ToFloatVector(problem.value)};
  if (encoding.rotary) {
    const AttentionShape& shape = problem.shape;
    ApplyRotaryInPlace<float>(inputs.query, {shape.batch, shape.q_len, shape.heads, shape.head_dim},
                              *encoding.rotary, QueryPositions(problem));
    ApplyRotaryInPlace<float>(inputs.key,
                              {shape.batch, shape.kv_len, shape.kv_heads, shape.head_dim},
                              *encoding.rotary, KeyPositions(problem));
  }
  return inputs;
}

float Dot(const float* a, const float* b, int64_t count) {
  float sum = 0;
  for (int64_t c = 0; c < count; ++c) sum += a[c] * b[c];
  return sum;
}

// Computes one (batch, head, query row) of the output.
class RowComputer {
 public:
  RowComputer(const AttentionProblem& problem, const AttentionEncoding& encoding,
              const PreparedInputs& inputs, const AttentionOutputs& outputs)
      : problem_(problem),
        shape_(problem.shape),
        encoding_(encoding),
        inputs_(inputs),
        outputs_(outputs),
        scores_(shape_.kv_len),
        accumulator_(shape_.v_head_dim) {}

  void Compute(int64_t b, int64_t h, int64_t i) {
    const RowMask mask{shape_.q_len, shape_.kv_len, problem_.kv_length(b), problem_.causal,
                       problem_.window};
    const KeyRange range = VisibleKeys(mask, i);
    const int64_t row = (b * shape_.heads + h) * shape_.q_len + i;
    const int64_t output_offset = ((b * shape_.q_len + i) * shape_.heads + h) * shape_.v_head_dim;
    float* probabilities =
        outputs_.probabilities ? outputs_.probabilities + row * shape_.kv_len : nullptr;
    if (probabilities != nullptr) std::fill_n(probabilities, shape_.kv_len, 0.0f);
    std::fill(accumulator_.begin(), accumulator_.end(), 0.0f);

    if (range.end == range.begin) {
      StoreOutputRow(output_offset);
      if (outputs_.lse != nullptr) outputs_.lse[row] = -std::numeric_limits<float>::infinity();
      return;
    }

    const int64_t kv_head = h / (shape_.heads / shape_.kv_heads);
    const float* query =
        &inputs_.query[((b * shape_.q_len + i) * shape_.heads + h) * shape_.head_dim];
    const double slope = encoding_.alibi_slopes.empty() ? 0.0 : encoding_.alibi_slopes[h];
    const int64_t aligned = QueryKeyIndex(mask, i);
    const int64_t nearest = NearestVisibleDistance(mask, i, range);
    const float scale = static_cast<float>(problem_.softmax_scale);

    float max_score = -std::numeric_limits<float>::infinity();
    for (int64_t j = range.begin; j < range.end; ++j) {
      float score = scale * Dot(query, KeyRow(b, j, kv_head), shape_.head_dim);
      if (slope != 0) {
        score -= static_cast<float>(slope * static_cast<double>(std::llabs(aligned - j) - nearest));
      }
      scores_[j] = score;
      max_score = std::max(max_score, score);
    }
    float sum = 0;
    for (int64_t j = range.begin; j < range.end; ++j) {
      scores_[j] = std::exp(scores_[j] - max_score);
      sum += scores_[j];
    }
    const float inverse_sum = 1.0f / sum;
    for (int64_t j = range.begin; j < range.end; ++j) {
      const float weight = scores_[j] * inverse_sum;
      if (probabilities != nullptr) probabilities[j] = weight;
      const float* value = ValueRow(b, j, kv_head);
      for (int64_t c = 0; c < shape_.v_head_dim; ++c) accumulator_[c] += weight * value[c];
    }
    StoreOutputRow(output_offset);
    if (outputs_.lse != nullptr) {
      // The ALiBi shift taken out of the scores goes back into lse, in double.
      outputs_.lse[row] = static_cast<float>(static_cast<double>(max_score) + std::log(sum) -
                                             slope * static_cast<double>(nearest));
    }
  }

 private:
  const float* KeyRow(int64_t b, int64_t j, int64_t kv_head) const {
    return &inputs_.key[((b * shape_.kv_len + j) * shape_.kv_heads + kv_head) * shape_.head_dim];
  }
  const float* ValueRow(int64_t b, int64_t j, int64_t kv_head) const {
    return &inputs_
                .value[((b * shape_.kv_len + j) * shape_.kv_heads + kv_head) * shape_.v_head_dim];
  }
  void StoreOutputRow(int64_t output_offset) const {
    for (int64_t c = 0; c < shape_.v_head_dim; ++c) {
      StoreElement(outputs_.output.dtype, outputs_.output.data, output_offset + c, accumulator_[c]);
    }
  }

  const AttentionProblem& problem_;
  const AttentionShape& shape_;
  const AttentionEncoding& encoding_;
  const PreparedInputs& inputs_;
  const AttentionOutputs& outputs_;
  std::vector<float> scores_;       // one row of kv_len scores: the only per-row scratch
  std::vector<float> accumulator_;  // v_head_dim
};

}  // namespace

BackendDescription CpuBackend::Describe() const {
  return {"cpu",
          {"cpu: float32, one thread per request"},
          {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16},
          "exact float32 CPU attention with fused RoPE/ALiBi"};
}

absl::Status CpuBackend::Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                             const StopCheck& should_stop) const {
  // Rows between two looks at should_stop: a few milliseconds of work at long kv_len.
  constexpr int64_t kRowsPerCheck = 16;
  const AttentionEncoding encoding = BuildAttentionEncoding(problem);
  const PreparedInputs inputs = PrepareInputs(problem, encoding);
  RowComputer computer(problem, encoding, inputs, outputs);
  for (int64_t b = 0; b < problem.shape.batch; ++b) {
    for (int64_t h = 0; h < problem.shape.heads; ++h) {
      for (int64_t i = 0; i < problem.shape.q_len; ++i) {
        if (i % kRowsPerCheck == 0 && should_stop && should_stop()) {
          return absl::CancelledError("stopped while computing");
        }
        computer.Compute(b, h, i);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace attnserve
