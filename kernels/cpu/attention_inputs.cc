#include "kernels/cpu/attention_inputs.h"

#include <algorithm>
#include <span>

#include "kernels/cpu/simd_kernels.h"
#include "kernels/encoding/rotary_apply.h"

namespace attnserve {
namespace {

// Elements per conversion task and positions per rotation task: large enough that a task
// outweighs its scheduling, small enough that two threads share a request evenly.
constexpr int64_t kElementsPerTask = int64_t{1} << 18;
constexpr int64_t kPositionsPerTask = 256;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

FloatArray ConvertInParallel(const TensorView& tensor, ThreadPool& pool) {
  const int64_t count = tensor.num_elements();
  FloatArray values = std::make_unique_for_overwrite<float[]>(count);
  const int64_t element_bytes = SizeOf(tensor.dtype);
  pool.ParallelFor(CeilDiv(count, kElementsPerTask), [&](int64_t task) {
    const int64_t begin = task * kElementsPerTask;
    ConvertToFloat(tensor.dtype, tensor.data + begin * element_bytes,
                   std::min(kElementsPerTask, count - begin), values.get() + begin);
  });
  return values;
}

// Rotates [batch, seq, heads, head_dim] in place, one task per (batch, run of positions): cos
// and sin are computed once per position, in double, and applied to every head.
void RotateInParallel(float* data, const SequenceDims& dims, const RotaryFrequencies& frequencies,
                      const SequencePositions& positions, ThreadPool& pool) {
  const int64_t tasks_per_sequence = CeilDiv(dims.seq, kPositionsPerTask);
  const int64_t row_floats = dims.heads * dims.head_dim;
  pool.ParallelFor(dims.batch * tasks_per_sequence, [&](int64_t task) {
    const int64_t b = task / tasks_per_sequence;
    const int64_t first = (task % tasks_per_sequence) * kPositionsPerTask;
    const int64_t count = std::min(kPositionsPerTask, dims.seq - first);
    SequencePositions slice;
    if (!positions.batch_offsets.empty()) slice.batch_offsets = {positions.batch_offsets[b]};
    slice.seq_positions.assign(positions.seq_positions.begin() + first,
                               positions.seq_positions.begin() + first + count);
    std::span<float> rows(data + (b * dims.seq + first) * row_floats, count * row_floats);
    ApplyRotaryInPlace<float>(rows, {1, count, dims.heads, dims.head_dim}, frequencies, slice);
  });
}

// Q converted, rotated, scaled and regrouped so the query heads of one kv head are adjacent.
FloatArray PrepareQueries(const AttentionProblem& problem, const AttentionEncoding& encoding,
                          int64_t group, ThreadPool& pool) {
  const AttentionShape& s = problem.shape;
  const FloatArray loaded = ConvertInParallel(problem.query, pool);
  if (encoding.rotary) {
    RotateInParallel(loaded.get(), {s.batch, s.q_len, s.heads, s.head_dim}, *encoding.rotary,
                     QueryPositions(problem), pool);
  }
  FloatArray grouped = std::make_unique_for_overwrite<float[]>(problem.query.num_elements());
  const float scale = static_cast<float>(problem.softmax_scale);
  pool.ParallelFor(s.batch * s.q_len, [&](int64_t task) {
    const int64_t b = task / s.q_len;
    const int64_t i = task % s.q_len;
    for (int64_t h = 0; h < s.heads; ++h) {
      const float* from = &loaded[((b * s.q_len + i) * s.heads + h) * s.head_dim];
      float* to =
          &grouped[(((b * s.kv_heads + h / group) * s.q_len + i) * group + h % group) * s.head_dim];
      for (int64_t c = 0; c < s.head_dim; ++c) to[c] = from[c] * scale;
    }
  });
  return grouped;
}

// Transposes each tile of kKeysPerTile keys of one kv head into head_dim rows of keys.
FloatArray BuildKeyPanels(const AttentionShape& s, const float* key_rows, ThreadPool& pool) {
  const int64_t tiles = CeilDiv(s.kv_len, kKeysPerTile);
  const int64_t panel_floats = s.head_dim * kKeysPerTile;
  FloatArray panels =
      std::make_unique_for_overwrite<float[]>(s.batch * s.kv_heads * tiles * panel_floats);
  pool.ParallelFor(s.batch * s.kv_heads * tiles, [&](int64_t panel) {
    const int64_t b = panel / (s.kv_heads * tiles);
    const int64_t kv_head = panel / tiles % s.kv_heads;
    const int64_t first_key = panel % tiles * kKeysPerTile;
    const int64_t keys = std::min(kKeysPerTile, s.kv_len - first_key);
    float* to = &panels[panel * panel_floats];
    for (int64_t j = 0; j < keys; ++j) {
      const float* key =
          key_rows + ((b * s.kv_len + first_key + j) * s.kv_heads + kv_head) * s.head_dim;
      for (int64_t c = 0; c < s.head_dim; ++c) to[c * kKeysPerTile + j] = key[c];
    }
    for (int64_t c = 0; c < s.head_dim; ++c) {  // the last tile's missing keys score 0
      std::fill(to + c * kKeysPerTile + keys, to + (c + 1) * kKeysPerTile, 0.0f);
    }
  });
  return panels;
}

// V as [batch, kv_heads, kv_len, v_head_dim] floats, converted on the way.
FloatArray GroupValuesByHead(const AttentionProblem& problem, ThreadPool& pool) {
  const AttentionShape& s = problem.shape;
  FloatArray grouped = std::make_unique_for_overwrite<float[]>(problem.value.num_elements());
  const int64_t tasks_per_head = CeilDiv(s.kv_len, kPositionsPerTask);
  const int64_t row_bytes = s.v_head_dim * static_cast<int64_t>(SizeOf(problem.value.dtype));
  pool.ParallelFor(s.batch * s.kv_heads * tasks_per_head, [&](int64_t task) {
    const int64_t head = task / tasks_per_head;  // b * kv_heads + kv_head
    const int64_t b = head / s.kv_heads;
    const int64_t first = task % tasks_per_head * kPositionsPerTask;
    const int64_t last = std::min(first + kPositionsPerTask, s.kv_len);
    for (int64_t j = first; j < last; ++j) {
      const int64_t from_row = (b * s.kv_len + j) * s.kv_heads + head % s.kv_heads;
      ConvertToFloat(problem.value.dtype, problem.value.data + from_row * row_bytes, s.v_head_dim,
                     &grouped[(head * s.kv_len + j) * s.v_head_dim]);
    }
  });
  return grouped;
}

}  // namespace

AttentionInputs PrepareAttentionInputs(const AttentionProblem& problem,
                                       const AttentionEncoding& encoding, KeyLayout key_layout,
                                       ThreadPool& pool) {
  const AttentionShape& s = problem.shape;
  AttentionInputs inputs;
  inputs.group = s.heads / s.kv_heads;
  inputs.queries = PrepareQueries(problem, encoding, inputs.group, pool);

  const bool float32 = problem.key.dtype == DataType::kFloat32;
  if (float32 && !encoding.rotary) {
    inputs.key_rows = reinterpret_cast<const float*>(problem.key.data);
  } else {
    inputs.owned_keys = ConvertInParallel(problem.key, pool);
    if (encoding.rotary) {
      RotateInParallel(inputs.owned_keys.get(), {s.batch, s.kv_len, s.kv_heads, s.head_dim},
                       *encoding.rotary, KeyPositions(problem), pool);
    }
    inputs.key_rows = inputs.owned_keys.get();
  }
  if (key_layout == KeyLayout::kPanels) {
    inputs.key_panels = BuildKeyPanels(s, inputs.key_rows, pool);
    inputs.owned_keys.reset();  // the panels replace the rows
    inputs.key_rows = nullptr;
  }

  const int64_t dv = s.v_head_dim;
  if (key_layout == KeyLayout::kPanels) {
    inputs.owned_values = GroupValuesByHead(problem, pool);
    inputs.values = inputs.owned_values.get();
    inputs.value_strides = {s.kv_heads * s.kv_len * dv, dv, s.kv_len * dv};
    return inputs;
  }
  if (float32) {
    inputs.values = reinterpret_cast<const float*>(problem.value.data);
  } else {
    inputs.owned_values = ConvertInParallel(problem.value, pool);
    inputs.values = inputs.owned_values.get();
  }
  inputs.value_strides = {s.kv_len * s.kv_heads * dv, s.kv_heads * dv, dv};
  return inputs;
}

}  // namespace attnserve
