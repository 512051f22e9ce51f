// Highway's dynamic dispatch: foreach_target.h re-includes this file once per target, each copy
// compiled for that target's instructions inside its own HWY_NAMESPACE; HWY_EXPORT and
// HWY_DYNAMIC_DISPATCH then call the best copy the CPU supports.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/simd_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/cpu/simd_kernels.h"
#include "kernels/numeric/half_float.h"

HWY_BEFORE_NAMESPACE();
namespace attnserve {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using FloatTag = hn::ScalableTag<float>;
using FloatVector = hn::Vec<FloatTag>;

// One register block of C: kRows rows x kVectors vectors, accumulated over the inner dimension
// with A's element broadcast against B's row. 6 x 2 keeps 12 accumulators, 2 rows of B and a
// broadcast in AVX2's 16 registers, enough independent FMAs to hide their latency.
template <int kRows, int kVectors>
HWY_INLINE void MatMulBlock(const float* HWY_RESTRICT a, int64_t lda, const float* HWY_RESTRICT b,
                            int64_t ldb, float* HWY_RESTRICT c, int64_t ldc, int64_t inner,
                            bool accumulate) {
  const FloatTag d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  FloatVector sums[kRows][kVectors];
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVectors; ++v) {
      sums[r][v] = accumulate ? hn::LoadU(d, c + r * ldc + v * lanes) : hn::Zero(d);
    }
  }
  for (int64_t p = 0; p < inner; ++p) {
    FloatVector b_row[kVectors];
    for (int v = 0; v < kVectors; ++v) b_row[v] = hn::LoadU(d, b + p * ldb + v * lanes);
    for (int r = 0; r < kRows; ++r) {
      const FloatVector a_element = hn::Set(d, a[r * lda + p]);
      for (int v = 0; v < kVectors; ++v) sums[r][v] = hn::MulAdd(a_element, b_row[v], sums[r][v]);
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVectors; ++v) hn::StoreU(sums[r][v], d, c + r * ldc + v * lanes);
  }
}

// Columns of C narrower than a vector: plain loops (only odd head dims have them).
void MatMulScalarColumns(const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                         int64_t ldc, int64_t rows, int64_t cols, int64_t inner, bool accumulate) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      float sum = accumulate ? c[r * ldc + j] : 0.0f;
      for (int64_t p = 0; p < inner; ++p) sum += a[r * lda + p] * b[p * ldb + j];
      c[r * ldc + j] = sum;
    }
  }
}

template <int kRows>
void MatMulRows(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                int64_t cols, int64_t inner, bool accumulate) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(FloatTag()));
  int64_t j = 0;
  for (; j + 2 * lanes <= cols; j += 2 * lanes) {
    MatMulBlock<kRows, 2>(a, lda, b + j, ldb, c + j, ldc, inner, accumulate);
  }
  if (j + lanes <= cols) {
    MatMulBlock<kRows, 1>(a, lda, b + j, ldb, c + j, ldc, inner, accumulate);
    j += lanes;
  }
  MatMulScalarColumns(a, lda, b + j, ldb, c + j, ldc, kRows, cols - j, inner, accumulate);
}

void MatMulImpl(ConstMatrix a, ConstMatrix b, MutableMatrix c, MatMulShape shape, bool accumulate) {
  constexpr int64_t kBlockRows = 6;
  int64_t r = 0;
  const auto rows_at = [&](auto rows_in_block) {
    MatMulRows<decltype(rows_in_block)::value>(a.data + r * a.row_stride, a.row_stride, b.data,
                                               b.row_stride, c.data + r * c.row_stride,
                                               c.row_stride, shape.cols, shape.inner, accumulate);
  };
  for (; r + kBlockRows <= shape.rows; r += kBlockRows) rows_at(std::integral_constant<int, 6>());
  switch (shape.rows - r) {
    case 5:
      return rows_at(std::integral_constant<int, 5>());
    case 4:
      return rows_at(std::integral_constant<int, 4>());
    case 3:
      return rows_at(std::integral_constant<int, 3>());
    case 2:
      return rows_at(std::integral_constant<int, 2>());
    case 1:
      return rows_at(std::integral_constant<int, 1>());
    default:
      return;
  }
}

// kRows rows of A against every row of B: each B row is loaded once per vector and used for
// all kRows dot products.
template <int kRows>
void DotRows(const float* HWY_RESTRICT a, int64_t lda, const float* HWY_RESTRICT b, int64_t ldb,
             float* HWY_RESTRICT c, int64_t ldc, int64_t cols, int64_t inner) {
  const FloatTag d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t vector_end = inner - inner % lanes;
  for (int64_t j = 0; j < cols; ++j) {
    const float* b_row = b + j * ldb;
    FloatVector sums[kRows];
    for (int r = 0; r < kRows; ++r) sums[r] = hn::Zero(d);
    for (int64_t p = 0; p < vector_end; p += lanes) {
      const FloatVector b_vector = hn::LoadU(d, b_row + p);
      for (int r = 0; r < kRows; ++r) {
        sums[r] = hn::MulAdd(hn::LoadU(d, a + r * lda + p), b_vector, sums[r]);
      }
    }
    for (int r = 0; r < kRows; ++r) {
      float total = hn::GetLane(hn::SumOfLanes(d, sums[r]));
      for (int64_t p = vector_end; p < inner; ++p) total += a[r * lda + p] * b_row[p];
      c[r * ldc + j] = total;
    }
  }
}

void MatMulTransposedImpl(ConstMatrix a, ConstMatrix b, MutableMatrix c, MatMulShape shape) {
  constexpr int64_t kBlockRows = 4;
  int64_t r = 0;
  for (; r + kBlockRows <= shape.rows; r += kBlockRows) {
    DotRows<4>(a.data + r * a.row_stride, a.row_stride, b.data, b.row_stride,
               c.data + r * c.row_stride, c.row_stride, shape.cols, shape.inner);
  }
  for (; r < shape.rows; ++r) {
    DotRows<1>(a.data + r * a.row_stride, a.row_stride, b.data, b.row_stride,
               c.data + r * c.row_stride, c.row_stride, shape.cols, shape.inner);
  }
}

// The bias in plain arithmetic, for index ranges past int32 (requests this long cannot pass
// the server's size limits, but the kernel does not rely on that).
float MaskScoresAndMaxScalar(float* scores, int64_t width, const ScoreRowMask& mask) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < width; ++j) {
    if (j < mask.visible_begin || j >= mask.visible_end) {
      scores[j] = -std::numeric_limits<float>::infinity();
      continue;
    }
    const int64_t distance = std::llabs(mask.aligned - j) - mask.nearest;
    scores[j] -= static_cast<float>(static_cast<double>(mask.alibi_slope) * distance);
    max = std::max(max, scores[j]);
  }
  return max;
}

float MaskScoresAndMaxImpl(float* scores, int64_t width, const ScoreRowMask& mask) {
  constexpr int64_t kInt32Safe = int64_t{1} << 30;
  if (std::llabs(mask.aligned) > kInt32Safe || mask.nearest > kInt32Safe) {
    return MaskScoresAndMaxScalar(scores, width, mask);
  }
  const FloatTag d;
  const hn::RebindToSigned<FloatTag> di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const bool masked = mask.visible_begin > 0 || mask.visible_end < width;
  const bool biased = mask.alibi_slope != 0;
  const auto begin = hn::Set(di, static_cast<int32_t>(std::max<int64_t>(mask.visible_begin, 0)));
  const auto end = hn::Set(di, static_cast<int32_t>(std::min(mask.visible_end, width)));
  const auto aligned = hn::Set(di, static_cast<int32_t>(mask.aligned));
  const auto nearest = hn::Set(di, static_cast<int32_t>(mask.nearest));
  const auto slope = hn::Set(d, mask.alibi_slope);
  const auto minus_infinity = hn::Set(d, -std::numeric_limits<float>::infinity());
  auto index = hn::Iota(di, 0);
  const auto step = hn::Set(di, static_cast<int32_t>(lanes));
  auto max = minus_infinity;
  for (int64_t j = 0; j < width; j += lanes, index = hn::Add(index, step)) {
    auto score = hn::LoadU(d, scores + j);
    if (biased) {
      // Distances in int32 lanes, exact; converted once, as the reference rounds its bias.
      const auto distance = hn::Sub(hn::Abs(hn::Sub(aligned, index)), nearest);
      score = hn::NegMulAdd(slope, hn::ConvertTo(d, distance), score);
    }
    if (masked) {
      const auto visible = hn::AndNot(hn::Lt(index, begin), hn::Lt(index, end));
      score = hn::IfThenElse(hn::RebindMask(d, visible), score, minus_infinity);
    }
    hn::StoreU(score, d, scores + j);
    max = hn::Max(max, score);
  }
  return hn::GetLane(hn::MaxOfLanes(d, max));
}

float ExpAndSumImpl(float* scores, int64_t width, float max) {
  const FloatTag d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto max_vector = hn::Set(d, max);
  auto sum = hn::Zero(d);
  for (int64_t j = 0; j < width; j += lanes) {
    const auto weight = hn::Exp(d, hn::Sub(hn::LoadU(d, scores + j), max_vector));
    hn::StoreU(weight, d, scores + j);
    sum = hn::Add(sum, weight);
  }
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

void ScaleRowImpl(float* row, int64_t count, float factor) {
  const FloatTag d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto factor_vector = hn::Set(d, factor);
  int64_t c = 0;
  for (; c + lanes <= count; c += lanes) {
    hn::StoreU(hn::Mul(hn::LoadU(d, row + c), factor_vector), d, row + c);
  }
  for (; c < count; ++c) row[c] *= factor;
}

template <typename Half>
void PromoteHalves(const Half* in, int64_t count, float* out, float (*scalar)(uint16_t)) {
  const FloatTag d;
  const hn::Rebind<Half, FloatTag> dh;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= count; i += lanes)
    hn::StoreU(hn::PromoteTo(d, hn::LoadU(dh, in + i)), d, out + i);
  for (; i < count; ++i) {
    uint16_t bits;
    std::memcpy(&bits, in + i, sizeof(bits));
    out[i] = scalar(bits);
  }
}

void ConvertToFloatImpl(DataType dtype, const std::byte* data, int64_t count, float* out) {
  switch (dtype) {
    case DataType::kFloat32:
      std::memcpy(out, data, static_cast<size_t>(count) * sizeof(float));
      return;
    case DataType::kFloat16:
      return PromoteHalves(reinterpret_cast<const hwy::float16_t*>(data), count, out,
                           HalfBitsToFloat);
    case DataType::kBFloat16:
      return PromoteHalves(reinterpret_cast<const hwy::bfloat16_t*>(data), count, out,
                           BFloat16BitsToFloat);
  }
}

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace attnserve
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace attnserve {

HWY_EXPORT(MatMulImpl);
HWY_EXPORT(MatMulTransposedImpl);
HWY_EXPORT(MaskScoresAndMaxImpl);
HWY_EXPORT(ExpAndSumImpl);
HWY_EXPORT(ScaleRowImpl);
HWY_EXPORT(ConvertToFloatImpl);
HWY_EXPORT(TargetNameImpl);

void MatMul(ConstMatrix a, ConstMatrix b, MutableMatrix c, MatMulShape shape, bool accumulate) {
  HWY_DYNAMIC_DISPATCH(MatMulImpl)(a, b, c, shape, accumulate);
}

void MatMulTransposed(ConstMatrix a, ConstMatrix b, MutableMatrix c, MatMulShape shape) {
  HWY_DYNAMIC_DISPATCH(MatMulTransposedImpl)(a, b, c, shape);
}

float MaskScoresAndMax(float* scores, int64_t width, const ScoreRowMask& mask) {
  return HWY_DYNAMIC_DISPATCH(MaskScoresAndMaxImpl)(scores, width, mask);
}

float ExpAndSum(float* scores, int64_t width, float max) {
  return HWY_DYNAMIC_DISPATCH(ExpAndSumImpl)(scores, width, max);
}

void ScaleRow(float* row, int64_t count, float factor) {
  HWY_DYNAMIC_DISPATCH(ScaleRowImpl)(row, count, factor);
}

void ConvertToFloat(DataType dtype, const std::byte* data, int64_t count, float* out) {
  HWY_DYNAMIC_DISPATCH(ConvertToFloatImpl)(dtype, data, count, out);
}

const char* SimdTargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

}  // namespace attnserve
#endif  // HWY_ONCE
