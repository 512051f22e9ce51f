// The Highway kernels of the cpu backend against plain double loops, at every length from 1 to
// 70 (so every vector width's main loop and remainder run) and with strided keys.
#include "kernels/cpu/simd_kernels.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace attnserve {
namespace {

std::vector<float> RandomFloats(size_t count, uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(random);
  return values;
}

TEST(SimdKernels, DotProductsMatchDoubleAtEveryLengthAndStride) {
  constexpr int64_t kKeys = 5;
  for (int64_t dim = 1; dim <= 70; ++dim) {
    const int64_t stride = dim + 3;  // keys interleaved with other heads' data, as in a tensor
    const std::vector<float> query = RandomFloats(dim, 1);
    const std::vector<float> keys = RandomFloats(kKeys * stride, 2);
    std::vector<float> out(kKeys);
    DotProducts(query.data(), keys.data(), stride, kKeys, dim, out.data());
    for (int64_t j = 0; j < kKeys; ++j) {
      double expected = 0;
      for (int64_t c = 0; c < dim; ++c) expected += double{query[c]} * keys[j * stride + c];
      EXPECT_NEAR(out[j], expected, 1e-5 * dim) << "dim " << dim << " key " << j;
    }
  }
}

TEST(SimdKernels, ScaleAndAddMatchesDoubleAtEveryLength) {
  for (int64_t dim = 1; dim <= 70; ++dim) {
    const std::vector<float> value = RandomFloats(dim, 3);
    std::vector<float> accumulator = RandomFloats(dim, 4);
    const std::vector<float> before = accumulator;
    ScaleAndAdd(0.375f, -1.25f, value.data(), accumulator.data(), dim);
    for (int64_t c = 0; c < dim; ++c) {
      const double expected = 0.375 * before[c] - 1.25 * value[c];
      EXPECT_NEAR(accumulator[c], expected, 1e-6) << "dim " << dim << " element " << c;
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
