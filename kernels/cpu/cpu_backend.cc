#include "kernels/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kernels/cpu/simd_kernels.h"
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

// Keys per tile of the online softmax: the tile's scores are the row's only scratch, and a
// tile of keys and values stays in L1/L2 while it is used.
constexpr int64_t kKeysPerTile = 128;

// Computes one (batch, head, query row) of the output, streaming the row's visible keys in
// tiles with an online softmax (running max and sum, the accumulator rescaled when the max
// grows), so scratch is one tile however long the context.
class RowComputer {
 public:
  RowComputer(const AttentionProblem& problem, const AttentionEncoding& encoding,
              const PreparedInputs& inputs, const AttentionOutputs& outputs)
      : problem_(problem),
        shape_(problem.shape),
        encoding_(encoding),
        inputs_(inputs),
        outputs_(outputs),
        tile_(kKeysPerTile),
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
      StoreOutputRow(output_offset, 0.0f);
      if (outputs_.lse != nullptr) outputs_.lse[row] = -std::numeric_limits<float>::infinity();
      return;
    }

    const RowContext context{
        .b = b,
        .kv_head = h / (shape_.heads / shape_.kv_heads),
        .query = &inputs_.query[((b * shape_.q_len + i) * shape_.heads + h) * shape_.head_dim],
        .slope = encoding_.alibi_slopes.empty() ? 0.0 : encoding_.alibi_slopes[h],
        .aligned = QueryKeyIndex(mask, i),
        .nearest = NearestVisibleDistance(mask, i, range)};

    float max_score = -std::numeric_limits<float>::infinity();
    float sum = 0;
    for (int64_t start = range.begin; start < range.end; start += kKeysPerTile) {
      const int64_t count = std::min(kKeysPerTile, range.end - start);
      ScoreTile(context, start, count);
      const float new_max =
          std::max(max_score, *std::max_element(tile_.begin(), tile_.begin() + count));
      // exp(-inf) = 0 on the first tile: the empty accumulator and sum are simply replaced.
      const float rescale = std::exp(max_score - new_max);
      sum *= rescale;
      for (int64_t j = 0; j < count; ++j) {
        const float weight = std::exp(tile_[j] - new_max);
        sum += weight;
        ScaleAndAdd(j == 0 ? rescale : 1.0f, weight, ValueRow(b, start + j, context.kv_head),
                    accumulator_.data(), shape_.v_head_dim);
      }
      max_score = new_max;
    }
    const float inverse_sum = 1.0f / sum;
    StoreOutputRow(output_offset, inverse_sum);
    if (probabilities != nullptr) {
      // Asked for rarely and bounded by max_probability_elements: a second pass over the
      // scores with the final max and sum, rather than keeping a kv_len row for every query.
      for (int64_t start = range.begin; start < range.end; start += kKeysPerTile) {
        const int64_t count = std::min(kKeysPerTile, range.end - start);
        ScoreTile(context, start, count);
        for (int64_t j = 0; j < count; ++j) {
          probabilities[start + j] = std::exp(tile_[j] - max_score) * inverse_sum;
        }
      }
    }
    if (outputs_.lse != nullptr) {
      // The ALiBi shift taken out of the scores goes back into lse, in double.
      outputs_.lse[row] = static_cast<float>(static_cast<double>(max_score) + std::log(sum) -
                                             context.slope * static_cast<double>(context.nearest));
    }
  }

 private:
  // What every tile of one query row needs.
  struct RowContext {
    int64_t b;
    int64_t kv_head;
    const float* query;
    double slope;     // ALiBi slope of the head; 0 without ALiBi
    int64_t aligned;  // the key index level with the query (distance 0)
    int64_t nearest;  // distance to the nearest visible key, taken out of every ALiBi bias
  };

  // tile_[0, count) = scale * q.k + ALiBi bias for keys start .. start + count - 1.
  void ScoreTile(const RowContext& context, int64_t start, int64_t count) {
    DotProducts(context.query, KeyRow(context.b, start, context.kv_head),
                shape_.kv_heads * shape_.head_dim, count, shape_.head_dim, tile_.data());
    const float scale = static_cast<float>(problem_.softmax_scale);
    for (int64_t j = 0; j < count; ++j) {
      float score = scale * tile_[j];
      if (context.slope != 0) {
        const int64_t distance = std::llabs(context.aligned - (start + j)) - context.nearest;
        score -= static_cast<float>(context.slope * static_cast<double>(distance));
      }
      tile_[j] = score;
    }
  }

  const float* KeyRow(int64_t b, int64_t j, int64_t kv_head) const {
    return &inputs_.key[((b * shape_.kv_len + j) * shape_.kv_heads + kv_head) * shape_.head_dim];
  }
  const float* ValueRow(int64_t b, int64_t j, int64_t kv_head) const {
    return &inputs_
                .value[((b * shape_.kv_len + j) * shape_.kv_heads + kv_head) * shape_.v_head_dim];
  }
  void StoreOutputRow(int64_t output_offset, float factor) const {
    for (int64_t c = 0; c < shape_.v_head_dim; ++c) {
      StoreElement(outputs_.output.dtype, outputs_.output.data, output_offset + c,
                   accumulator_[c] * factor);
    }
  }

  const AttentionProblem& problem_;
  const AttentionShape& shape_;
  const AttentionEncoding& encoding_;
  const PreparedInputs& inputs_;
  const AttentionOutputs& outputs_;
  std::vector<float> tile_;         // one tile of scores: the only per-row scratch
  std::vector<float> accumulator_;  // v_head_dim, unnormalized until stored
};

}  // namespace

BackendDescription CpuBackend::Describe() const {
  return {"cpu",
          {absl::StrCat("cpu: float32, ", SimdTargetName(), " vectors, one thread per request")},
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
