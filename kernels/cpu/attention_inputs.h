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

// Where the row of key j of kv head `kv_head` of batch element b starts in a buffer of
// per-key rows.
struct RowStrides {
  int64_t batch;
  int64_t key;
  int64_t head;

  int64_t Offset(int64_t b, int64_t j, int64_t kv_head) const {
    return b * batch + j * key + kv_head * head;
  }
};

// Floats left uninitialized on allocation: the parallel pass that fills them is their first
// touch, so their pages are faulted in by every thread at once instead of zeroed first by one.
using FloatArray = std::unique_ptr<float[]>;

struct AttentionInputs {
  // Query rows grouped by kv head: row ((b * kv_heads + kv_head) * q_len + i) * group + g is
  // query head kv_head * group + g at query position i (head_dim floats), rotated and scaled.
  FloatArray queries;
  int64_t group = 1;  // query heads per kv head

  const float* key_rows = nullptr;  // kRows layout; into the request or owned_keys
  FloatArray key_panels;            // kPanels layout
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
