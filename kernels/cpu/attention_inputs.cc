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
                          int64_t group, const RowStrides& grouped_strides, ThreadPool& pool) {
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
      float* to = &grouped[grouped_strides.Offset(b, i * group + h % group, h / group)];
      for (int64_t c = 0; c < s.head_dim; ++c) to[c] = from[c] * scale;
    }
  });
  return grouped;
}

// Transposes each tile of kKeysPerTile keys of one kv head into head_dim rows of keys.
FloatArray BuildKeyPanels(const AttentionShape& s, const AttentionInputs& inputs,
                          ThreadPool& pool) {
  const int64_t tiles = CeilDiv(s.kv_len, kKeysPerTile);
  FloatArray panels = std::make_unique_for_overwrite<float[]>(s.batch * s.kv_heads * tiles *
                                                              s.head_dim * kKeysPerTile);
  pool.ParallelFor(s.batch * s.kv_heads * tiles, [&](int64_t panel) {
    const int64_t b = panel / (s.kv_heads * tiles);
    const int64_t kv_head = panel / tiles % s.kv_heads;
    const int64_t tile = panel % tiles;
    const int64_t first_key = tile * kKeysPerTile;
    const int64_t keys = std::min(kKeysPerTile, s.kv_len - first_key);
    float* to = &panels[inputs.panel_strides.Offset(b, tile, kv_head)];
    for (int64_t j = 0; j < keys; ++j) {
      const float* key = inputs.key_rows + inputs.key_strides.Offset(b, first_key + j, kv_head);
      for (int64_t c = 0; c < s.head_dim; ++c) to[c * kKeysPerTile + j] = key[c];
    }
    for (int64_t c = 0; c < s.head_dim; ++c) {  // the last tile's missing keys score 0
      std::fill(to + c * kKeysPerTile + keys, to + (c + 1) * kKeysPerTile, 0.0f);
    }
  });
  return panels;
}

// V as [batch, kv_heads, kv_len, v_head_dim] floats, converted on the way.
FloatArray GroupValuesByHead(const AttentionProblem& problem, const RowStrides& to,
                             ThreadPool& pool) {
  const AttentionShape& s = problem.shape;
  const RowStrides from = RowStrides::RowMajor(s.kv_len, s.kv_heads, s.v_head_dim);
  FloatArray grouped = std::make_unique_for_overwrite<float[]>(problem.value.num_elements());
  const int64_t tasks_per_head = CeilDiv(s.kv_len, kPositionsPerTask);
  const int64_t element_bytes = SizeOf(problem.value.dtype);
  pool.ParallelFor(s.batch * s.kv_heads * tasks_per_head, [&](int64_t task) {
    const int64_t b = task / (s.kv_heads * tasks_per_head);
    const int64_t kv_head = task / tasks_per_head % s.kv_heads;
    const int64_t first = task % tasks_per_head * kPositionsPerTask;
    const int64_t last = std::min(first + kPositionsPerTask, s.kv_len);
    for (int64_t j = first; j < last; ++j) {
      ConvertToFloat(problem.value.dtype,
                     problem.value.data + from.Offset(b, j, kv_head) * element_bytes, s.v_head_dim,
                     &grouped[to.Offset(b, j, kv_head)]);
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
  const int64_t query_rows = s.q_len * inputs.group;
  inputs.query_strides = RowStrides::HeadMajor(query_rows, s.kv_heads, s.head_dim);
  inputs.queries = PrepareQueries(problem, encoding, inputs.group, inputs.query_strides, pool);

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
  inputs.key_strides = RowStrides::RowMajor(s.kv_len, s.kv_heads, s.head_dim);
  if (key_layout == KeyLayout::kPanels) {
    const int64_t panel_floats = s.head_dim * kKeysPerTile;
    const int64_t tiles = CeilDiv(s.kv_len, kKeysPerTile);
    inputs.panel_strides = RowStrides::HeadMajor(tiles, s.kv_heads, panel_floats);
    inputs.key_panels = BuildKeyPanels(s, inputs, pool);
    inputs.owned_keys.reset();  // the panels replace the rows
    inputs.key_rows = nullptr;
  }

  const int64_t dv = s.v_head_dim;
  if (key_layout == KeyLayout::kPanels) {
    inputs.value_strides = RowStrides::HeadMajor(s.kv_len, s.kv_heads, dv);
    inputs.owned_values = GroupValuesByHead(problem, inputs.value_strides, pool);
    inputs.values = inputs.owned_values.get();
    return inputs;
  }
  if (float32) {
    inputs.values = reinterpret_cast<const float*>(problem.value.data);
  } else {
    inputs.owned_values = ConvertInParallel(problem.value, pool);
    inputs.values = inputs.owned_values.get();
  }
  inputs.value_strides = RowStrides::RowMajor(s.kv_len, s.kv_heads, dv);
  return inputs;
}

}  // namespace attnserve
