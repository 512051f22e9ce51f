// Flash-attention forward on tensor cores (the FlashAttention-2 recipe) for float16 and bfloat16
// with head_dim = v_head_dim = 64 or 128. One block of 4 warps takes 64 packed rows
// (attention_params.h) of one (batch, kv head); each warp owns 16 of them. Key/value tiles of 64
// stream through shared memory, double-buffered with cp.async; RoPE is applied to the Q tile and
// to each K tile in shared memory as they land (cos/sin from the request's table). S = Q K^T and
// O += P V run on mma.sync m16n8k16 with ldmatrix operands and float32 accumulators; scale, mask
// and ALiBi are applied to S in registers from the accumulator layout (ptx.h), and the online
// softmax uses exp2 with the scale folded in. Rows without visible keys give zeros and lse -inf.
// Key tiles no row of the block sees are never loaded; keys may be split over blockIdx.z.
#ifndef ATTNSERVE_KERNELS_CUDA_FLASH_ATTENTION_KERNEL_H_
#define ATTNSERVE_KERNELS_CUDA_FLASH_ATTENTION_KERNEL_H_

#include <cstring>

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_elements.h"
#include "kernels/cuda/kernel_geometry.h"
#include "kernels/cuda/ptx.h"
#include "kernels/math/ceil_div.h"
#include "kernels/math/online_softmax.h"
#include "kernels/math/rotary_pair.h"

// A test-only fault (tests/kernels/cuda/shim_fault_test.cc): drops the barrier after each tile
// lands, to show that the shim catches a missing __syncthreads.
#if defined(ATTNSERVE_SHIM_FAULT_SKIP_TILE_BARRIER) && defined(__CUDACC__)
#error "ATTNSERVE_SHIM_FAULT_SKIP_TILE_BARRIER is for the CPU shim's own test only"
#endif

namespace attnserve::cuda {

// Two floats as the T pair an mma operand register holds (low half first).
template <typename T>
ATTN_DEVICE uint32_t PackPair(float low, float high) {
  uint32_t bits;
  if constexpr (kIsHalf<T>) {
    const __half2 pair = __floats2half2_rn(low, high);
    memcpy(&bits, &pair, sizeof(bits));
  } else {
    const __nv_bfloat162 pair = __floats2bfloat162_rn(low, high);
    memcpy(&bits, &pair, sizeof(bits));
  }
  return bits;
}

// Queues the cp.async copies of `rows` head vectors into a shared tile; row i comes from
// `source(i)`, or is zero-filled when that is null.
template <typename T, int HeadDim, typename SourceOf>
ATTN_DEVICE void LoadTileAsync(T* tile, SourceOf source) {
  constexpr int kChunksPerRow = HeadDim * 2 / 16;
  for (int chunk = threadIdx.x; chunk < kFlashRowsPerBlock * kChunksPerRow;
       chunk += kFlashThreads) {
    const int row = chunk / kChunksPerRow, column = chunk % kChunksPerRow * 8;
    const T* row_source = source(row);
    CpAsync16(tile + row * FlashRowPitch(HeadDim) + column,
              row_source ? row_source + column : nullptr, row_source != nullptr);
  }
}

// Rotates the rows of a shared tile in place; row i sits at key index `index_of(i)` (queries at
// their aligned key index), and rows for which it is kNoRow stay as they are.
inline constexpr int64_t kNoRow = INT64_MIN;

template <typename T, int HeadDim, RotaryLayout Layout, typename IndexOf>
ATTN_DEVICE void RotateTile(T* tile, const RotaryTable& rotary, int64_t batch, IndexOf index_of) {
  const int pairs = rotary.rotary_dim / 2;
  for (int item = threadIdx.x; item < kFlashRowsPerBlock * pairs; item += kFlashThreads) {
    const int row = item / pairs, pair = item % pairs;
    const int64_t index = index_of(row);
    if (index == kNoRow) continue;
    const CosSinPair cs =
        rotary.pairs[batch * rotary.batch_stride + (index - rotary.first_index) * pairs + pair];
    const RotaryPairIndex at = RotaryPairOf<Layout>(pair, rotary.rotary_dim);
    T* vector = tile + row * FlashRowPitch(HeadDim);
    RotatePair<float>(vector[at.first], vector[at.second], cs.cos, cs.sin);
  }
}

// grid (ceil(packed_rows / 64), batch * kv_heads, num_splits), block 128,
// shared FlashSharedBytes(HeadDim): the Q tile, then two K tiles, then two V tiles.
template <typename T, int HeadDim, RotaryLayout Layout>
__global__ void __launch_bounds__(kFlashThreads)
    FlashAttentionKernel(const AttentionKernelParams p) {
  constexpr int kPitch = FlashRowPitch(HeadDim);
  constexpr int kTileElements = kFlashRowsPerBlock * kPitch;
  constexpr int kKeyTiles8 = kFlashKeysPerTile / 8;  // n-tiles of S
  constexpr int kDimTiles8 = HeadDim / 8;            // n-tiles of O
  T* const query_tile = reinterpret_cast<T*>(DynamicSharedMemory());
  T* const key_tiles = query_tile + kTileElements;
  T* const value_tiles = key_tiles + 2 * kTileElements;

  const int warp = WarpIndex(), lane = LaneIndex(), g = lane / 4, t = lane % 4;
  const int64_t batch = blockIdx.y / p.kv_heads, kv_head = blockIdx.y % p.kv_heads;
  const int split = static_cast<int>(blockIdx.z);
  const int64_t first_row = static_cast<int64_t>(blockIdx.x) * kFlashRowsPerBlock;
  const int64_t row_count = p.packed_rows() - first_row < kFlashRowsPerBlock
                                ? p.packed_rows() - first_row
                                : kFlashRowsPerBlock;

  // The two rows this thread holds in every accumulator: g and g + 8 of its warp's 16.
  PackedRow rows[2];
  bool row_valid[2];
  for (int i = 0; i < 2; ++i) {
    const int local = warp * 16 + g + 8 * i;
    row_valid[i] = local < row_count;
    rows[i] = DescribePackedRow(p, batch, kv_head, first_row + (row_valid[i] ? local : 0));
  }

  // Keys any row of the block sees (visible ranges grow with the query row), within the split.
  const KeyRange first_visible = DescribePackedRow(p, batch, kv_head, first_row).visible;
  const KeyRange last_visible =
      DescribePackedRow(p, batch, kv_head, first_row + row_count - 1).visible;
  KeyRange keys = {first_visible.begin, last_visible.end};
  if (p.num_splits > 1) {
    const KeyRange split_keys = SplitKeys(p, split);
    if (split_keys.begin > keys.begin) keys.begin = split_keys.begin;
    if (split_keys.end < keys.end) keys.end = split_keys.end;
  }
  const int tile_count = keys.end > keys.begin
                             ? static_cast<int>(CeilDiv(keys.end - keys.begin, kFlashKeysPerTile))
                             : 0;

  const int64_t key_row_stride = p.kv_heads * HeadDim;
  const T* const keys_base =
      static_cast<const T*>(p.key) + batch * p.kv_len * key_row_stride + kv_head * HeadDim;
  const T* const values_base =
      static_cast<const T*>(p.value) + batch * p.kv_len * key_row_stride + kv_head * HeadDim;
  // K and V share their layout: key `key` of either sits `key * key_row_stride` into its base.
  auto load_key_value_tile = [&](int tile, int buffer) {
    const int64_t first_key = keys.begin + static_cast<int64_t>(tile) * kFlashKeysPerTile;
    auto load_rows = [&](T* shared, const T* base) {
      LoadTileAsync<T, HeadDim>(shared + buffer * kTileElements, [&](int row) -> const T* {
        const int64_t key = first_key + row;
        return key < p.kv_len ? base + key * key_row_stride : nullptr;
      });
    };
    load_rows(key_tiles, keys_base);
    load_rows(value_tiles, values_base);
  };

  float output[kDimTiles8][4] = {};
  float row_max[2] = {-INFINITY, -INFINITY}, row_sum[2] = {0, 0};
  if (tile_count > 0) {
    LoadTileAsync<T, HeadDim>(query_tile, [&](int row) -> const T* {
      if (row >= row_count) return nullptr;
      const int64_t packed = first_row + row;
      const int64_t query_row = packed / p.group(), head = kv_head * p.group() + packed % p.group();
      return static_cast<const T*>(p.query) +
             ((batch * p.q_len + query_row) * p.heads + head) * HeadDim;
    });
    load_key_value_tile(0, 0);
    CpAsyncCommit();
  }

  for (int tile = 0; tile < tile_count; ++tile) {
    const int buffer = tile % 2;
    if (tile + 1 < tile_count) {
      load_key_value_tile(tile + 1, 1 - buffer);
      CpAsyncCommit();
      CpAsyncWait<1>();
    } else {
      CpAsyncWait<0>();
    }
    // Every thread's copies have landed; after this barrier, everyone's have.
#if !defined(ATTNSERVE_SHIM_FAULT_SKIP_TILE_BARRIER)
    __syncthreads();
#endif
    T* const key_tile = key_tiles + buffer * kTileElements;
    T* const value_tile = value_tiles + buffer * kTileElements;
    const int64_t first_key = keys.begin + static_cast<int64_t>(tile) * kFlashKeysPerTile;
    if (p.rotary.pairs != nullptr) {
      if (tile == 0) {
        RotateTile<T, HeadDim, Layout>(query_tile, p.rotary, batch, [&](int row) {
          return row < row_count ? p.kv_len - p.q_len + (first_row + row) / p.group() : kNoRow;
        });
      }
      RotateTile<T, HeadDim, Layout>(key_tile, p.rotary, batch, [&](int row) {
        return first_key + row < p.kv_len ? first_key + row : kNoRow;
      });
      __syncthreads();
    }

    // S = Q K^T for this warp's 16 rows and the tile's 64 keys.
    float scores[kKeyTiles8][4] = {};
    ATTN_UNROLL
    for (int k = 0; k < HeadDim / 16; ++k) {
      uint32_t a[4];
      LdMatrixX4(a, query_tile + (warp * 16 + lane % 16) * kPitch + k * 16 + lane / 16 * 8);
      ATTN_UNROLL
      for (int n = 0; n < kKeyTiles8; n += 2) {
        uint32_t b[4];
        const int matrix = lane / 8;
        LdMatrixX4(
            b, key_tile + (n * 8 + matrix / 2 * 8 + lane % 8) * kPitch + k * 16 + matrix % 2 * 8);
        const uint32_t b_first[2] = {b[0], b[1]}, b_second[2] = {b[2], b[3]};
        Mma16816<T>(scores[n], a, b_first);
        Mma16816<T>(scores[n + 1], a, b_second);
      }
    }

    // Scale, mask, ALiBi and the online softmax, element by element in the C layout.
    float tile_max[2] = {-INFINITY, -INFINITY};
    ATTN_UNROLL
    for (int n = 0; n < kKeyTiles8; ++n) {
      ATTN_UNROLL
      for (int e = 0; e < 4; ++e) {
        const PackedRow& row = rows[e / 2];
        const int64_t key = first_key + n * 8 + 2 * t + e % 2;
        const bool visible = key >= keys.begin && key < keys.end && key >= row.visible.begin &&
                             key < row.visible.end;
        scores[n][e] = visible
                           ? scores[n][e] * p.scale_log2 +
                                 AlibiLog2Bias(row.slope_log2, KeyDistance(row, key), row.nearest)
                           : -INFINITY;
        tile_max[e / 2] = fmaxf(tile_max[e / 2], scores[n][e]);
      }
    }
    float rescale[2], reference[2];
    ATTN_UNROLL
    for (int i = 0; i < 2; ++i) {
      const float new_max = fmaxf(row_max[i], WarpMax<4>(tile_max[i]));
      rescale[i] = RescaleFactor(row_max[i], new_max);
      reference[i] = ExponentReference(new_max);
      row_max[i] = new_max;
      row_sum[i] *= rescale[i];
    }
    ATTN_UNROLL
    for (int n = 0; n < kKeyTiles8; ++n) {
      ATTN_UNROLL
      for (int e = 0; e < 4; ++e) {
        scores[n][e] = exp2f(scores[n][e] - reference[e / 2]);
        row_sum[e / 2] += scores[n][e];
      }
    }
    ATTN_UNROLL
    for (int d = 0; d < kDimTiles8; ++d) {
      ATTN_UNROLL
      for (int e = 0; e < 4; ++e) output[d][e] *= rescale[e / 2];
    }

    // O += P V: two S n-tiles make one A operand of 16 keys.
    ATTN_UNROLL
    for (int k = 0; k < kFlashKeysPerTile / 16; ++k) {
      const uint32_t a[4] = {PackPair<T>(scores[2 * k][0], scores[2 * k][1]),
                             PackPair<T>(scores[2 * k][2], scores[2 * k][3]),
                             PackPair<T>(scores[2 * k + 1][0], scores[2 * k + 1][1]),
                             PackPair<T>(scores[2 * k + 1][2], scores[2 * k + 1][3])};
      ATTN_UNROLL
      for (int d = 0; d < kDimTiles8; d += 2) {
        uint32_t b[4];
        const int matrix = lane / 8;
        LdMatrixX4Trans(
            b, value_tile + (k * 16 + matrix % 2 * 8 + lane % 8) * kPitch + d * 8 + matrix / 2 * 8);
        const uint32_t b_first[2] = {b[0], b[1]}, b_second[2] = {b[2], b[3]};
        Mma16816<T>(output[d], a, b_first);
        Mma16816<T>(output[d + 1], a, b_second);
      }
    }
    __syncthreads();  // the buffer is refilled by the next iteration's loads
  }

  // Each of the 4 lanes of a row holds part of its sum.
  ATTN_UNROLL
  for (int i = 0; i < 2; ++i) {
    const float sum = WarpSum<4>(row_sum[i]);
    if (!row_valid[i]) continue;
    const float inverse_sum = sum > 0 ? 1.0f / sum : 0.0f;
    ATTN_UNROLL
    for (int d = 0; d < kDimTiles8; ++d) {
      ATTN_UNROLL
      for (int e = 0; e < 2; ++e) {
        WriteRowColumn(p, batch, rows[i], split, d * 8 + 2 * t + e,
                       output[d][2 * i + e] * inverse_sum);
      }
    }
    if (t == 0)
      WriteRowLse(p, batch, rows[i], split,
                  RowLse(row_max[i], sum, rows[i].slope, rows[i].nearest));
  }
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_FLASH_ATTENTION_KERNEL_H_
