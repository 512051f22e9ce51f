// The cpu backend's vector kernels, compiled by Google Highway for every x86 target it knows
// (SSE4, AVX2, AVX-512, AVX-512 on Zen 4) and picked at run time for the CPU at hand, so one
// binary uses the widest vectors the machine has. float32 in and out, fp32 accumulation in
// vector lanes. Stateless; safe from any thread.
//
// The two products of flash attention are MatMul calls on tiles: S = Q K^T with K stored
// transposed in panels (prefill), O += P V with V row-major; MatMulTransposed serves decode,
// where a handful of query rows meet each key row once and transposing K would cost more than
// it saves. The score-row functions are the online softmax's per-row steps.
#ifndef ATTNSERVE_KERNELS_CPU_SIMD_KERNELS_H_
#define ATTNSERVE_KERNELS_CPU_SIMD_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "kernels/api/data_type.h"

namespace attnserve {

// Lanes of the widest float vector of any target (AVX-512): score rows are padded to a
// multiple of it so every target reads them in whole vectors.
inline constexpr int64_t kMaxFloatLanes = 16;

// A row-major matrix: element (r, c) at data[r * row_stride + c].
struct ConstMatrix {
  const float* data;
  int64_t row_stride;
};
struct MutableMatrix {
  float* data;
  int64_t row_stride;
};

struct MatMulShape {
  int64_t rows;   // m: rows of A and C
  int64_t cols;   // n: columns of B and C
  int64_t inner;  // k: columns of A, rows of B
};

// C = A B, or C += A B when `accumulate`; A is rows x inner, B inner x cols, C rows x cols.
// Register-blocked: each block of 6 rows x 2 vectors of C stays in registers while A's
// elements are broadcast against B's rows.
void MatMul(ConstMatrix a, ConstMatrix b, MutableMatrix c, MatMulShape shape, bool accumulate);

// C = A B^T: c(r, j) = dot(row r of A, row j of B) over `shape.inner` elements, for r < rows
// and j < cols. Each row of B is read once for every row of A.
void MatMulTransposed(ConstMatrix a, ConstMatrix b, MutableMatrix c, MatMulShape shape);

// How one query row sees the keys of a score tile, in the tile's own key indices.
struct ScoreRowMask {
  int64_t visible_begin;  // keys outside [visible_begin, visible_end) are masked
  int64_t visible_end;
  float alibi_slope;  // 0 without ALiBi
  int64_t aligned;    // the key index level with the query (distance 0)
  int64_t nearest;    // distance to the row's nearest visible key, taken out of every bias
};

// Masks one row of `width` scores (a multiple of kMaxFloatLanes) in place: masked entries
// become -inf and each visible entry j loses alibi_slope * (|aligned - j| - nearest).
// Returns the row's maximum, -inf when nothing in it is visible.
float MaskScoresAndMax(float* scores, int64_t width, const ScoreRowMask& mask);

// scores[j] = exp(scores[j] - max) for j < width (a multiple of kMaxFloatLanes); returns
// their sum. max must be finite; -inf scores become 0.
float ExpAndSum(float* scores, int64_t width, float max);

// row[c] *= factor for c < count.
void ScaleRow(float* row, int64_t count, float factor);

// out[i] = element i of `data` (of `dtype`) as float, for i < count; exact for every dtype.
void ConvertToFloat(DataType dtype, const std::byte* data, int64_t count, float* out);

// The instruction set the kernels run with on this machine, e.g. "AVX3_ZEN4" or "AVX2".
const char* SimdTargetName();

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_CPU_SIMD_KERNELS_H_
