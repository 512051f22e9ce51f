#include "kernels/cpu/query_tile_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/simd_kernels.h"
#include "kernels/math/visibility.h"
#include "kernels/numeric/tensor_convert.h"

namespace attnserve {
namespace {

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();
// A key split below this many tiles would cost more in merging than it gains in parallelism.
constexpr int64_t kMinKeyTilesPerSplit = 8;

}  // namespace

WorkPlan PlanWork(const AttentionShape& shape, int threads, bool with_probabilities) {
  WorkPlan plan;
  plan.query_rows_per_kv_head = shape.q_len * (shape.heads / shape.kv_heads);
  plan.query_tiles = CeilDiv(plan.query_rows_per_kv_head, kQueryRowsPerTile);
  if (plan.query_tiles > 1) {
    plan.key_layout = KeyLayout::kPanels;
  } else {
    plan.kv_heads_per_tile = shape.kv_heads;
  }
  const int64_t tiles = plan.tiles(shape);
  // Two items per thread at least, so a thread that finishes early finds work.
  const int64_t wanted_items = 2 * int64_t{threads};
  if (!with_probabilities && threads > 1 && tiles > 0 && tiles < wanted_items) {
    const int64_t most =
        std::max<int64_t>(1, CeilDiv(shape.kv_len, kKeysPerTile) / kMinKeyTilesPerSplit);
    plan.splits = std::min(CeilDiv(wanted_items, tiles), most);
  }
  return plan;
}

// One query row of a tile: where it reads and writes, and which keys it sees.
struct QueryTileAttention::RowInfo {
  int64_t b;
  int64_t kv_head;
  int64_t query_row;  // index among the kv head's q_len * group grouped query rows
  int64_t head;
  int64_t position;  // query index i
  KeyRange visible;
  int64_t aligned;  // key index level with the query
  int64_t nearest;  // distance to the nearest visible key (ALiBi's per-row shift)
  double slope;     // ALiBi slope of the head; 0 without ALiBi
  int64_t output_offset;
  int64_t row_index;  // [batch, heads, q_len] index of lse and probabilities
};

// The scratch of one item: a score tile and the online-softmax state of its rows.
struct QueryTileAttention::TileScratch {
  TileScratch(int64_t rows, int64_t v_head_dim)
      : scores(kQueryRowsPerTile * kKeysPerTile, 0.0f),
        tile_max(kQueryRowsPerTile),
        accumulator(rows * v_head_dim, 0.0f),
        max(rows, kMinusInfinity),
        sum(rows, 0.0f) {}

  std::vector<float> scores;  // one kv head's rows x kKeysPerTile; weights after ExpAndSum
  std::vector<float> tile_max;
  std::vector<float> accumulator;  // rows x v_head_dim, unnormalized
  std::vector<float> max;
  std::vector<float> sum;
};

QueryTileAttention::QueryTileAttention(const AttentionProblem& problem,
                                       const AttentionEncoding& encoding,
                                       const AttentionInputs& inputs, const WorkPlan& plan,
                                       const AttentionOutputs& outputs)
    : problem_(problem),
      shape_(problem.shape),
      encoding_(encoding),
      inputs_(inputs),
      plan_(plan),
      outputs_(outputs) {
  if (plan_.splits > 1) {
    partials_.resize(plan_.items(shape_) * plan_.kv_heads_per_tile * kQueryRowsPerTile *
                     (shape_.v_head_dim + 2));
  }
}

KeyRange QueryTileAttention::DescribeRows(int64_t tile, std::vector<RowInfo>& rows) const {
  const int64_t head_groups = shape_.kv_heads / plan_.kv_heads_per_tile;
  const int64_t b = tile / (head_groups * plan_.query_tiles);
  const int64_t first_kv_head = tile / plan_.query_tiles % head_groups * plan_.kv_heads_per_tile;
  const int64_t first_row = tile % plan_.query_tiles * kQueryRowsPerTile;
  const int64_t rows_per_head =
      std::min(kQueryRowsPerTile, plan_.query_rows_per_kv_head - first_row);
  const RowMask mask{shape_.q_len, shape_.kv_len, problem_.kv_length(b), problem_.causal,
                     problem_.window};
  const int64_t group = inputs_.group;
  KeyRange keys{shape_.kv_len, 0};
  rows.resize(plan_.kv_heads_per_tile * rows_per_head);
  for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r) {
    RowInfo& row = rows[r];
    row.b = b;
    row.kv_head = first_kv_head + r / rows_per_head;
    row.query_row = first_row + r % rows_per_head;
    row.position = row.query_row / group;
    row.head = row.kv_head * group + row.query_row % group;
    row.visible = VisibleKeys(mask, row.position);
    row.aligned = QueryKeyIndex(mask, row.position);
    const bool sees_keys = row.visible.end > row.visible.begin;
    row.nearest = sees_keys ? NearestVisibleDistance(mask, row.position, row.visible) : 0;
    row.slope = encoding_.alibi_slopes.empty() ? 0.0 : encoding_.alibi_slopes[row.head];
    row.output_offset =
        ((b * shape_.q_len + row.position) * shape_.heads + row.head) * shape_.v_head_dim;
    row.row_index = (b * shape_.heads + row.head) * shape_.q_len + row.position;
    if (sees_keys) {
      keys.begin = std::min(keys.begin, row.visible.begin);
      keys.end = std::max(keys.end, row.visible.end);
    }
  }
  if (keys.end <= keys.begin) return {0, 0};
  return keys;
}

void QueryTileAttention::ScoreKeyTile(int64_t key_tile, const std::vector<RowInfo>& rows,
                                      int64_t first, int64_t count, TileScratch& scratch) const {
  const int64_t d = shape_.head_dim;
  const int64_t b = rows[first].b;
  const int64_t kv_head = rows[first].kv_head;
  const int64_t first_key = key_tile * kKeysPerTile;
  const ConstMatrix queries{
      &inputs_.queries[inputs_.query_strides.Offset(b, rows[first].query_row, kv_head)], d};
  const MutableMatrix scores{scratch.scores.data(), kKeysPerTile};
  if (plan_.key_layout == KeyLayout::kPanels) {
    const float* panel = &inputs_.key_panels[inputs_.panel_strides.Offset(b, key_tile, kv_head)];
    MatMul(queries, {panel, kKeysPerTile}, scores, {count, kKeysPerTile, d}, false);
  } else {
    // Scores past the last key stay as they were; every row masks them.
    const float* keys = inputs_.key_rows + inputs_.key_strides.Offset(b, first_key, kv_head);
    MatMulTransposed(queries, {keys, inputs_.key_strides.row}, scores,
                     {count, std::min(kKeysPerTile, shape_.kv_len - first_key), d});
  }
  for (int64_t r = 0; r < count; ++r) {
    const RowInfo& row = rows[first + r];
    const ScoreRowMask mask{row.visible.begin - first_key, row.visible.end - first_key,
                            static_cast<float>(row.slope), row.aligned - first_key, row.nearest};
    scratch.tile_max[r] = MaskScoresAndMax(&scratch.scores[r * kKeysPerTile], kKeysPerTile, mask);
  }
}

void QueryTileAttention::AccumulateKeyTile(int64_t key_tile, KeyRange keys,
                                           const std::vector<RowInfo>& rows, int64_t first,
                                           int64_t count, TileScratch& scratch) const {
  const int64_t dv = shape_.v_head_dim;
  ScoreKeyTile(key_tile, rows, first, count, scratch);
  for (int64_t r = 0; r < count; ++r) {
    float* weights = &scratch.scores[r * kKeysPerTile];
    float& max = scratch.max[first + r];
    float& sum = scratch.sum[first + r];
    const float new_max = std::max(max, scratch.tile_max[r]);
    if (new_max == kMinusInfinity) {  // nothing visible to this row yet
      std::fill_n(weights, kKeysPerTile, 0.0f);
      continue;
    }
    const float tile_sum = ExpAndSum(weights, kKeysPerTile, new_max);
    if (new_max != max) {
      // exp(-inf) = 0 on the row's first visible tile: the empty state is simply replaced.
      const float rescale = std::exp(max - new_max);
      ScaleRow(&scratch.accumulator[(first + r) * dv], dv, rescale);
      sum *= rescale;
      max = new_max;
    }
    sum += tile_sum;
  }
  // Keys past the tile's last visible one have weight 0 in every row: not read.
  const int64_t first_key = key_tile * kKeysPerTile;
  const float* values =
      inputs_.values + inputs_.value_strides.Offset(rows[first].b, first_key, rows[first].kv_head);
  MatMul({scratch.scores.data(), kKeysPerTile}, {values, inputs_.value_strides.row},
         {&scratch.accumulator[first * dv], dv},
         {count, dv, std::min(kKeysPerTile, keys.end - first_key)}, true);
}

void QueryTileAttention::Compute(int64_t item) {
  const int64_t split = item % plan_.splits;
  const int64_t tile = item / plan_.splits;
  const int64_t dv = shape_.v_head_dim;
  std::vector<RowInfo> rows;
  const KeyRange keys = DescribeRows(tile, rows);
  const int64_t count = static_cast<int64_t>(rows.size());
  const int64_t rows_per_head = count / plan_.kv_heads_per_tile;
  TileScratch scratch(count, dv);

  const int64_t first_tile = keys.begin / kKeysPerTile;
  const int64_t key_tiles = CeilDiv(keys.end, kKeysPerTile) - first_tile;
  const int64_t split_begin = first_tile + key_tiles * split / plan_.splits;
  const int64_t split_end = first_tile + key_tiles * (split + 1) / plan_.splits;
  for (int64_t key_tile = split_begin; key_tile < split_end; ++key_tile) {
    for (int64_t first = 0; first < count; first += rows_per_head) {
      AccumulateKeyTile(key_tile, keys, rows, first, rows_per_head, scratch);
    }
  }

  if (plan_.splits > 1) {
    for (int64_t r = 0; r < count; ++r) {
      float* partial = PartialRow(tile, split, r);
      partial[0] = scratch.max[r];
      partial[1] = scratch.sum[r];
      std::copy_n(&scratch.accumulator[r * dv], dv, partial + 2);
    }
    return;
  }
  for (int64_t r = 0; r < count; ++r) {
    WriteRow(rows[r], scratch.max[r], scratch.sum[r], &scratch.accumulator[r * dv]);
  }
  if (outputs_.probabilities != nullptr) WriteProbabilities(keys, rows, rows_per_head, scratch);
}

void QueryTileAttention::MergeSplits(int64_t tile) {
  std::vector<RowInfo> rows;
  DescribeRows(tile, rows);
  const int64_t dv = shape_.v_head_dim;
  std::vector<float> accumulator(dv);
  for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r) {
    float max = kMinusInfinity;
    for (int64_t split = 0; split < plan_.splits; ++split) {
      max = std::max(max, PartialRow(tile, split, r)[0]);
    }
    float sum = 0;
    std::fill(accumulator.begin(), accumulator.end(), 0.0f);
    if (max != kMinusInfinity) {
      for (int64_t split = 0; split < plan_.splits; ++split) {
        const float* partial = PartialRow(tile, split, r);
        if (partial[0] == kMinusInfinity) continue;  // this split saw none of the row's keys
        const float weight = std::exp(partial[0] - max);
        sum += partial[1] * weight;
        for (int64_t c = 0; c < dv; ++c) accumulator[c] += partial[2 + c] * weight;
      }
    }
    WriteRow(rows[r], max, sum, accumulator.data());
  }
}

void QueryTileAttention::WriteRow(const RowInfo& row, float max, float sum,
                                  const float* accumulator) const {
  const int64_t dv = shape_.v_head_dim;
  const MutableTensorView& output = outputs_.output;
  // A row that sees no key gets zeros and lse -inf, like the reference.
  const float inverse_sum = sum > 0 ? 1.0f / sum : 0.0f;
  for (int64_t c = 0; c < dv; ++c) {
    StoreElement(output.dtype, output.data, row.output_offset + c, accumulator[c] * inverse_sum);
  }
  if (outputs_.lse == nullptr) return;
  // The ALiBi shift taken out of the scores goes back into lse, in double.
  outputs_.lse[row.row_index] =
      sum > 0 ? static_cast<float>(static_cast<double>(max) + std::log(sum) -
                                   row.slope * static_cast<double>(row.nearest))
              : kMinusInfinity;
}

void QueryTileAttention::WriteProbabilities(KeyRange keys, const std::vector<RowInfo>& rows,
                                            int64_t rows_per_head, TileScratch& scratch) const {
  // Asked for rarely and bounded by max_probability_elements: a second pass over the scores
  // with each row's final max and sum, rather than keeping a kv_len row per query.
  for (const RowInfo& row : rows) {
    std::fill_n(outputs_.probabilities + row.row_index * shape_.kv_len, shape_.kv_len, 0.0f);
  }
  for (int64_t key_tile = keys.begin / kKeysPerTile; key_tile < CeilDiv(keys.end, kKeysPerTile);
       ++key_tile) {
    const int64_t first_key = key_tile * kKeysPerTile;
    const int64_t tile_keys = std::min(kKeysPerTile, shape_.kv_len - first_key);
    for (int64_t first = 0; first < static_cast<int64_t>(rows.size()); first += rows_per_head) {
      ScoreKeyTile(key_tile, rows, first, rows_per_head, scratch);
      for (int64_t r = 0; r < rows_per_head; ++r) {
        const RowInfo& row = rows[first + r];
        if (scratch.max[first + r] == kMinusInfinity) continue;
        float* weights = &scratch.scores[r * kKeysPerTile];
        ExpAndSum(weights, kKeysPerTile, scratch.max[first + r]);
        float* out = outputs_.probabilities + row.row_index * shape_.kv_len + first_key;
        const float inverse_sum = 1.0f / scratch.sum[first + r];
        for (int64_t j = 0; j < tile_keys; ++j) out[j] = weights[j] * inverse_sum;
      }
    }
  }
}

float* QueryTileAttention::PartialRow(int64_t tile, int64_t split, int64_t row) {
  const int64_t rows_per_tile = plan_.kv_heads_per_tile * kQueryRowsPerTile;
  return &partials_[((tile * plan_.splits + split) * rows_per_tile + row) *
                    (shape_.v_head_dim + 2)];
}

}  // namespace attnserve
