// Flash attention on the CPU, one work item at a time: a tile of query rows of one (batch,
// kv head), the query heads of a GQA group side by side so each key tile is read once for all
// of them, against its visible keys streamed in tiles of kKeysPerTile with an online softmax
// (running max and sum per row, the accumulator rescaled when the max grows). Scratch is one
// score tile and one accumulator tile per item, however long the context: memory stays
// O(q_len + kv_len). Key tiles that no row of the item sees are never computed.
//
// When a request has too few items to occupy every thread (decode: one query per head), each
// query tile's keys are split into ranges computed as separate items, whose partial results
// (max, sum, unnormalized accumulator per row) MergeSplits combines by log-sum-exp.
//
// Compute may run concurrently for distinct items, MergeSplits for distinct tiles once every
// item is done; the outputs they write do not overlap.
#ifndef ATTNSERVE_KERNELS_CPU_QUERY_TILE_ATTENTION_H_
#define ATTNSERVE_KERNELS_CPU_QUERY_TILE_ATTENTION_H_

#include <cstdint>
#include <vector>

#include "kernels/api/attention_problem.h"
#include "kernels/cpu/attention_inputs.h"
#include "kernels/encoding/attention_encoding.h"
#include "kernels/math/visibility.h"

namespace attnserve {

// Query rows per tile: with the key tile, 64 x 64 scores, and a 64 x head_dim accumulator.
inline constexpr int64_t kQueryRowsPerTile = 64;

// How a request is cut into items. A tile is (batch element, kv heads, query tile); an item is
// one key range (split) of a tile: item = tile * splits + split, and
// tile = (b * (kv_heads / kv_heads_per_tile) + kv_head / kv_heads_per_tile) * query_tiles + t.
struct WorkPlan {
  int64_t query_rows_per_kv_head = 0;  // q_len * group
  int64_t query_tiles = 0;             // per (batch, kv head)
  // With one query tile (decode) a tile takes every kv head: for each key tile it reads the
  // keys of all heads, which lie side by side in the request, rather than one head's slice of
  // every key, which the hardware prefetchers do not follow.
  int64_t kv_heads_per_tile = 1;
  KeyLayout key_layout = KeyLayout::kRows;
  int64_t splits = 1;  // key ranges per tile

  int64_t tiles(const AttentionShape& shape) const {
    return shape.batch * (shape.kv_heads / kv_heads_per_tile) * query_tiles;
  }
  int64_t items(const AttentionShape& shape) const { return tiles(shape) * splits; }
};

// Transposed key panels when several query tiles read the same keys, else key rows. Splits
// keys only when the tiles alone leave threads idle and there are keys enough to share; never
// with probabilities, whose second pass needs each row's final max and sum.
WorkPlan PlanWork(const AttentionShape& shape, int threads, bool with_probabilities);

class QueryTileAttention {
 public:
  QueryTileAttention(const AttentionProblem& problem, const AttentionEncoding& encoding,
                     const AttentionInputs& inputs, const WorkPlan& plan,
                     const AttentionOutputs& outputs);

  // Computes item `item` of the plan. With one split it writes the tile's output rows (and
  // lse, probabilities when asked); with several, its partial result.
  void Compute(int64_t item);

  // With several splits: combines the splits of tile `tile` into its output rows.
  void MergeSplits(int64_t tile);

 private:
  struct RowInfo;
  struct TileScratch;

  // The rows of tile `tile`, kv head by kv head, with their masks; returns the union of their
  // visible keys.
  KeyRange DescribeRows(int64_t tile, std::vector<RowInfo>& rows) const;
  // The scores of `count` rows of one kv head (starting at rows[first]) against key tile
  // `key_tile`, masked and biased, into scratch.scores; each row's maximum into
  // scratch.tile_max.
  void ScoreKeyTile(int64_t key_tile, const std::vector<RowInfo>& rows, int64_t first,
                    int64_t count, TileScratch& scratch) const;
  // Folds the scores of rows [first, first + count) into their online-softmax state and adds
  // their weighted values to the accumulators.
  void AccumulateKeyTile(int64_t key_tile, KeyRange keys, const std::vector<RowInfo>& rows,
                         int64_t first, int64_t count, TileScratch& scratch) const;
  void WriteRow(const RowInfo& row, float max, float sum, const float* accumulator) const;
  void WriteProbabilities(KeyRange keys, const std::vector<RowInfo>& rows, int64_t rows_per_head,
                          TileScratch& scratch) const;
  float* PartialRow(int64_t tile, int64_t split, int64_t row);

  const AttentionProblem& problem_;
  const AttentionShape& shape_;
  const AttentionEncoding& encoding_;
  const AttentionInputs& inputs_;
  const WorkPlan plan_;
  const AttentionOutputs& outputs_;
  // Per (tile, split, row): max, sum, then v_head_dim accumulator floats. Empty with 1 split.
  std::vector<float> partials_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_CPU_QUERY_TILE_ATTENTION_H_
