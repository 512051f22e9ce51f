// The Highway kernels of the cpu backend against plain double loops, at sizes that run every
// register block, every vector width's remainder and the scalar tails, with row strides wider
// than the rows (as when a tile is cut out of a tensor).
#include "kernels/cpu/simd_kernels.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/numeric/half_float.h"
#include "kernels/numeric/tensor_convert.h"

namespace attnserve {
namespace {

std::vector<float> RandomFloats(size_t count, uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(random);
  return values;
}

TEST(SimdKernels, MatMulMatchesDoubleForEveryBlockShapeAndRemainder) {
  for (int64_t rows : {1, 5, 6, 7, 13}) {
    for (int64_t cols : {1, 3, 4, 8, 16, 17, 33, 64, 70}) {
      for (int64_t inner : {1, 9, 64}) {
        for (bool accumulate : {false, true}) {
          const int64_t lda = inner + 2, ldb = cols + 5, ldc = cols + 3;
          const std::vector<float> a = RandomFloats(rows * lda, 1);
          const std::vector<float> b = RandomFloats(inner * ldb, 2);
          std::vector<float> c = RandomFloats(rows * ldc, 3);
          const std::vector<float> before = c;
          MatMul({a.data(), lda}, {b.data(), ldb}, {c.data(), ldc}, {rows, cols, inner},
                 accumulate);
          for (int64_t r = 0; r < rows; ++r) {
            for (int64_t j = 0; j < ldc; ++j) {
              if (j >= cols) {
                ASSERT_EQ(c[r * ldc + j], before[r * ldc + j]) << "wrote past column " << cols;
                continue;
              }
              double expected = accumulate ? before[r * ldc + j] : 0.0;
              for (int64_t p = 0; p < inner; ++p) {
                expected += double{a[r * lda + p]} * b[p * ldb + j];
              }
              ASSERT_NEAR(c[r * ldc + j], expected, 1e-5 * (inner + 1))
                  << rows << "x" << cols << "x" << inner << " at (" << r << ", " << j << ")";
            }
          }
        }
      }
    }
  }
}

TEST(SimdKernels, MatMulTransposedMatchesDoubleAtEveryLength) {
  for (int64_t rows : {1, 3, 4, 9}) {
    for (int64_t inner = 1; inner <= 70; inner += 3) {
      constexpr int64_t kCols = 5;
      const int64_t lda = inner + 1, ldb = inner + 3, ldc = kCols + 2;
      const std::vector<float> a = RandomFloats(rows * lda, 4);
      const std::vector<float> b = RandomFloats(kCols * ldb, 5);
      std::vector<float> c(rows * ldc, 7.0f);
      MatMulTransposed({a.data(), lda}, {b.data(), ldb}, {c.data(), ldc}, {rows, kCols, inner});
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < kCols; ++j) {
          double expected = 0;
          for (int64_t p = 0; p < inner; ++p) expected += double{a[r * lda + p]} * b[j * ldb + p];
          ASSERT_NEAR(c[r * ldc + j], expected, 1e-5 * inner) << "inner " << inner;
        }
        EXPECT_EQ(c[r * ldc + kCols], 7.0f) << "wrote past the last column";
      }
    }
  }
}

// The mask and bias one score row gets, in double.
std::vector<double> MaskedScores(const std::vector<float>& scores, const ScoreRowMask& mask) {
  std::vector<double> expected(scores.size());
  for (int64_t j = 0; j < static_cast<int64_t>(scores.size()); ++j) {
    const bool visible = j >= mask.visible_begin && j < mask.visible_end;
    expected[j] = visible ? scores[j] - double{mask.alibi_slope} *
                                            (std::llabs(mask.aligned - j) - mask.nearest)
                          : -std::numeric_limits<double>::infinity();
  }
  return expected;
}

TEST(SimdKernels, MaskScoresAndMaxMasksBiasesAndFindsTheMaximum) {
  constexpr int64_t kWidth = 64;
  const std::vector<ScoreRowMask> masks = {
      {0, kWidth, 0.0f, 0, 0},              // everything visible, no ALiBi
      {5, 40, 0.0f, 0, 0},                  // a window inside the tile
      {-70, 23, 0.25f, 22, 0},              // causal: the query is level with key 22
      {10, 200, 0.0625f, -3, 13},           // keys after the query, nearest 13 away
      {30, 61, 0.5f, 100000, 100000 - 60},  // every visible key far away
      {12, 12, 0.5f, 0, 0},                 // nothing visible
      {0, kWidth, 1.0f, int64_t{3} << 31, (int64_t{3} << 31) - 63},  // past int32
  };
  for (const ScoreRowMask& mask : masks) {
    std::vector<float> scores = RandomFloats(kWidth, 6);
    const std::vector<double> expected = MaskedScores(scores, mask);
    const float max = MaskScoresAndMax(scores.data(), kWidth, mask);
    double expected_max = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < kWidth; ++j) {
      expected_max = std::max(expected_max, expected[j]);
      if (std::isinf(expected[j])) {
        EXPECT_EQ(scores[j], -std::numeric_limits<float>::infinity()) << "key " << j;
      } else {
        EXPECT_NEAR(scores[j], expected[j], 1e-6 * (1 + std::abs(expected[j]))) << "key " << j;
      }
    }
    if (std::isinf(expected_max)) {
      EXPECT_EQ(max, -std::numeric_limits<float>::infinity());
    } else {
      EXPECT_NEAR(max, expected_max, 1e-6 * (1 + std::abs(expected_max)));
    }
  }
}

TEST(SimdKernels, ExpAndSumExponentiatesAgainstTheMaxAndZeroesMaskedScores) {
  constexpr int64_t kWidth = 48;
  std::vector<float> scores = RandomFloats(kWidth, 7);
  for (float& score : scores) score *= 30;
  scores[3] = -std::numeric_limits<float>::infinity();
  const std::vector<float> before = scores;
  const float max = 12.5f;
  const float sum = ExpAndSum(scores.data(), kWidth, max);
  double expected_sum = 0;
  for (int64_t j = 0; j < kWidth; ++j) {
    // The difference is taken in float, as the kernel does; exp itself is within 2 ulp.
    const double expected = std::exp(double{before[j] - max});
    expected_sum += expected;
    EXPECT_NEAR(scores[j], expected, 4e-7 * expected + 1e-30) << "score " << before[j];
  }
  EXPECT_EQ(scores[3], 0.0f);
  EXPECT_NEAR(sum, expected_sum, 1e-6 * expected_sum);
}

TEST(SimdKernels, ScaleRowScalesEveryElementAtEveryLength) {
  for (int64_t count = 1; count <= 40; ++count) {
    std::vector<float> row = RandomFloats(count + 1, 8);
    const std::vector<float> before = row;
    ScaleRow(row.data(), count, -0.375f);
    for (int64_t c = 0; c < count; ++c) EXPECT_EQ(row[c], before[c] * -0.375f);
    EXPECT_EQ(row[count], before[count]) << "scaled past the end";
  }
}

TEST(SimdKernels, ConvertToFloatIsExactForEveryDtypeAndLength) {
  for (DataType dtype : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16}) {
    for (int64_t count = 1; count <= 70; count += 3) {
      const std::vector<float> source = RandomFloats(count, 9);
      std::vector<std::byte> bytes(count * SizeOf(dtype));
      for (int64_t i = 0; i < count; ++i) StoreElement(dtype, bytes.data(), i, source[i] * 1000);
      std::vector<float> converted(count);
      ConvertToFloat(dtype, bytes.data(), count, converted.data());
      for (int64_t i = 0; i < count; ++i) {
        ASSERT_EQ(converted[i], LoadElement(dtype, bytes.data(), i)) << "element " << i;
      }
    }
  }
}

TEST(SimdKernels, NameTheTargetTheyRunWith) {
  const std::string name = SimdTargetName();
  EXPECT_FALSE(name.empty());
  EXPECT_NE(name, "SCALAR") << "every x86-64 CPU has at least SSE4 or SSSE3";
}

}  // namespace
}  // namespace attnserve
