// The cpu backend's working copy of one request's Q, K and V, laid out for the tile loop
// (query_tile_attention.h) and built once per request, in parallel on the backend's threads:
// inputs converted to float on load, Q and K rotated once (K not once per query tile), Q
// multiplied by the softmax scale. What needs no change is not copied: float32 V, and float32
// K without RoPE, are read where the request holds them. Owns its buffers; read-only once
// built, so any number of threads may read it.
#ifndef ATTNSERVE_KERNELS_CPU_ATTENTION_INPUTS_H_
#define ATTNSERVE_KERNELS_CPU_ATTENTION_INPUTS_H_

#include <cstdint>
#include <memory>

#include "kernels/api/attention_problem.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/encoding/attention_encoding.h"
#include "kernels/math/ceil_div.h"

namespace attnserve {

// Keys per tile of the online softmax: a tile of transposed keys (head_dim x 64 floats) and
// its scores stay in L1/L2 while they are used, and 64 is a whole number of vectors on every
// target.
inline constexpr int64_t kKeysPerTile = 64;

// How the keys are laid out for the score product.
enum class KeyLayout {
  // [batch, kv_len, kv_heads, head_dim] as in the request: read once per query tile, so it
  // suits requests whose queries fit one tile (decode), where a transposed copy would cost a
  // pass over K for no reuse.
  kRows,
  // [batch, kv_heads, key tile, head_dim, kKeysPerTile], zero-padded: contiguous vectors of
  // keys for the register-blocked product, worth the copy when many query tiles reuse it.
  kPanels,
};

// Where row j (a key, a grouped query row, or a key tile's panel) of kv head `kv_head` of
// batch element b starts in one of the buffers below: the one place each layout is spelled.
struct RowStrides {
  int64_t batch;
  int64_t row;
  int64_t head;

  int64_t Offset(int64_t b, int64_t j, int64_t kv_head) const {
    return b * batch + j * row + kv_head * head;
  }

  // [batch, rows, heads, floats], the request's layout.
  static RowStrides RowMajor(int64_t rows, int64_t heads, int64_t floats) {
    return {rows * heads * floats, heads * floats, floats};
  }
  // [batch, heads, rows, floats]: one head's rows adjacent.
  static RowStrides HeadMajor(int64_t rows, int64_t heads, int64_t floats) {
    return {heads * rows * floats, floats, rows * floats};
  }
};

// Floats left uninitialized on allocation: the parallel pass that fills them is their first
// touch, so their pages are faulted in by every thread at once instead of zeroed first by one.
using FloatArray = std::unique_ptr<float[]>;

struct AttentionInputs {
  // Query rows grouped by kv head ([batch, kv_heads, q_len * group, head_dim]): row
  // i * group + g of kv head kv_head is query head kv_head * group + g at query position i,
  // rotated and scaled.
  FloatArray queries;
  RowStrides query_strides{};
  int64_t group = 1;  // query heads per kv head

  // kRows layout: head_dim floats per key, in the request or owned_keys.
  const float* key_rows = nullptr;
  RowStrides key_strides{};
  // kPanels layout: one head_dim x kKeysPerTile panel per (batch, kv head, key tile).
  FloatArray key_panels;
  RowStrides panel_strides{};
  // v_head_dim floats per key: as in the request ([batch, kv_len, kv_heads, v_head_dim]) or,
  // with key panels, grouped by head ([batch, kv_heads, kv_len, v_head_dim]) so the rows of a
  // key tile are adjacent (a tile 4 KiB apart per row maps onto one L1 set and thrashes it).
  const float* values = nullptr;
  RowStrides value_strides{};

  FloatArray owned_keys;    // K converted and rotated, when it could not be used as is
  FloatArray owned_values;  // V converted or regrouped, when not used as is
};

AttentionInputs PrepareAttentionInputs(const AttentionProblem& problem,
                                       const AttentionEncoding& encoding, KeyLayout key_layout,
                                       ThreadPool& pool);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_CPU_ATTENTION_INPUTS_H_
