// Pins the ALiBi slopes of docs/encodings.md section 3 to the worked values of section 6 and to
// ggml's m0/m1 formulation for head counts that are not powers of two, and checks when
// ResolveAlibiSlopes interpolates.
#include "kernels/encoding/alibi_slopes.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/api/encoding_spec.h"

namespace attnserve {
namespace {

constexpr double kRelativeTolerance = 1e-12;

void ExpectRelativelyNear(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t h = 0; h < expected.size(); ++h) {
    EXPECT_NEAR(actual[h], expected[h], kRelativeTolerance * std::abs(expected[h])) << "head " << h;
  }
}

// ggml's formulation, computed independently: m0 = 2^(-B/n), m1 = 2^(-B/(2n)), slope_h = m0^(h+1)
// for h < n and m1^(2(h-n)+1) after.
std::vector<double> GgmlSlopes(int64_t heads, double max_bias) {
  const int64_t n = int64_t{1} << static_cast<int>(std::floor(std::log2(double(heads))));
  const double m0 = std::pow(2.0, -max_bias / n);
  const double m1 = std::pow(2.0, -max_bias / (2.0 * n));
  std::vector<double> slopes;
  for (int64_t h = 0; h < heads; ++h) {
    slopes.push_back(h < n ? std::pow(m0, h + 1) : std::pow(m1, 2 * (h - n) + 1));
  }
  return slopes;
}

std::vector<double> RandomSlopes(int64_t heads, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> uniform(0.001, 1.0);
  std::vector<double> slopes(heads);
  for (double& slope : slopes) slope = uniform(generator);
  return slopes;
}

TEST(AlibiSlopes, EightHeadsMaxBias8MatchWorkedValues) {
  ExpectRelativelyNear(AlibiSlopes(8, 8),
                       {0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625});
}

TEST(AlibiSlopes, TwelveHeadsMaxBias8MatchWorkedValues) {
  ExpectRelativelyNear(AlibiSlopes(12, 8), {0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125,
                                            0.00390625, 0.70710678118654757, 0.35355339059327379,
                                            0.17677669529663689, 0.088388347648318447});
}

TEST(AlibiSlopes, SixteenHeadsMaxBias8MatchWorkedValues) {
  ExpectRelativelyNear(
      AlibiSlopes(16, 8),
      {0.70710678118654757, 0.5, 0.35355339059327379, 0.25, 0.17677669529663689, 0.125,
       0.088388347648318447, 0.0625, 0.044194173824159223, 0.03125, 0.022097086912079612, 0.015625,
       0.011048543456039806, 0.0078125, 0.0055242717280199029, 0.00390625});
}

TEST(AlibiSlopes, TwelveHeadsMaxBias4MatchWorkedValues) {
  ExpectRelativelyNear(AlibiSlopes(12, 4),
                       {0.70710678118654757, 0.5, 0.35355339059327379, 0.25, 0.17677669529663689,
                        0.125, 0.088388347648318447, 0.0625, 0.8408964152537145,
                        0.59460355750136051, 0.42044820762685725, 0.29730177875068026});
}

TEST(AlibiSlopes, OneHeadGetsTwoToTheMinusMaxBias) {
  ExpectRelativelyNear(AlibiSlopes(1, 8), {std::exp2(-8)});
  ExpectRelativelyNear(AlibiSlopes(1, 3), {std::exp2(-3)});
}

TEST(AlibiSlopes, NonPowerOfTwoCountsAppendOddSlopesOfTheDoubledSeries) {
  // n = 2: 2^-4, 2^-8, then 2^(-8 * 1/4).
  ExpectRelativelyNear(AlibiSlopes(3, 8), {std::exp2(-4), std::exp2(-8), std::exp2(-2)});
  // n = 4: 2^-2 ... 2^-8, then 2^(-8 * 1/8), 2^(-8 * 3/8).
  ExpectRelativelyNear(AlibiSlopes(6, 8), {std::exp2(-2), std::exp2(-4), std::exp2(-6),
                                           std::exp2(-8), std::exp2(-1), std::exp2(-3)});
}

TEST(AlibiSlopes, AnyCountAndMaxBiasMatchGgmlFormulation) {
  for (int64_t heads : {1, 2, 3, 5, 6, 7, 12, 24, 40, 64}) {
    for (double max_bias : {8.0, 4.0, 5.5, 0.75, 16.0}) {
      SCOPED_TRACE(::testing::Message() << heads << " heads, max_bias " << max_bias);
      ExpectRelativelyNear(AlibiSlopes(heads, max_bias), GgmlSlopes(heads, max_bias));
    }
  }
}

TEST(ResolveAlibiSlopes, ComputesSlopesFromMaxBiasWhenNoneAreGiven) {
  const AlibiSpec spec{.slopes = {}, .max_bias = 4};
  ExpectRelativelyNear(ResolveAlibiSlopes(spec, 12, 100), AlibiSlopes(12, 4));
}

TEST(ResolveAlibiSlopes, InterpolationMatchesWorkedValueBeyondTrainingLength) {
  const AlibiSpec spec{.slopes = {}, .max_bias = 8, .training_length = 2048};
  ExpectRelativelyNear(
      ResolveAlibiSlopes(spec, 8, 5000),
      {0.20480000000000001, 0.1024, 0.051200000000000002, 0.025600000000000001,
       0.012800000000000001, 0.0064000000000000003, 0.0032000000000000002, 0.0016000000000000001});
}

TEST(ResolveAlibiSlopes, DoesNotInterpolateUpToTrainingLength) {
  const AlibiSpec spec{.slopes = {}, .max_bias = 8, .training_length = 2048};
  for (int64_t length : {1, 100, 2047, 2048}) {
    EXPECT_EQ(ResolveAlibiSlopes(spec, 8, length), AlibiSlopes(8, 8)) << "L = " << length;
  }
}

TEST(ResolveAlibiSlopes, DoesNotInterpolateWhenTrainingLengthIsZero) {
  const AlibiSpec spec{.slopes = {}, .max_bias = 8, .training_length = 0};
  EXPECT_EQ(ResolveAlibiSlopes(spec, 8, 1 << 20), AlibiSlopes(8, 8));
}

TEST(ResolveAlibiSlopes, UsesExplicitSlopesAsGiven) {
  const std::vector<double> slopes = RandomSlopes(5, 7);
  const AlibiSpec spec{.slopes = slopes, .max_bias = 0, .training_length = 0};
  EXPECT_EQ(ResolveAlibiSlopes(spec, 5, 5000), slopes);
}

TEST(ResolveAlibiSlopes, InterpolatesExplicitSlopesToo) {
  const std::vector<double> slopes = RandomSlopes(5, 11);
  const AlibiSpec spec{.slopes = slopes, .max_bias = 0, .training_length = 2048};
  std::vector<double> expected;
  for (double slope : slopes) expected.push_back(slope * 2048 / 5000);
  ExpectRelativelyNear(ResolveAlibiSlopes(spec, 5, 5000), expected);
}

}  // namespace
}  // namespace attnserve
