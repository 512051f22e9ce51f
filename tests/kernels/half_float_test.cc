// Pins the float16 conversions to GCC's _Float16 (IEEE binary16, round to nearest even) bit for
// bit, and the bfloat16 conversions to crafted patterns: exact widening, ties to even, quiet NaN,
// infinity and overflow.
#include "kernels/numeric/half_float.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace attnserve {
namespace {

// ---- Oracles and helpers ----

uint16_t CompilerHalfBits(float value) {
  const _Float16 half = static_cast<_Float16>(value);
  uint16_t bits;
  std::memcpy(&bits, &half, sizeof(bits));
  return bits;
}

float CompilerHalfToFloat(uint16_t bits) {
  _Float16 half;
  std::memcpy(&half, &bits, sizeof(bits));
  return static_cast<float>(half);
}

uint32_t BitsOf(float value) { return std::bit_cast<uint32_t>(value); }
float FloatOf(uint32_t bits) { return std::bit_cast<float>(bits); }

bool IsHalfNaN(uint16_t bits) { return (bits & 0x7c00u) == 0x7c00u && (bits & 0x03ffu) != 0; }
bool IsBFloat16NaN(uint16_t bits) { return (bits & 0x7f80u) == 0x7f80u && (bits & 0x007fu) != 0; }

// Counts failed checks and reports only the first few, so a broken exhaustive sweep stays
// readable.
class MismatchLog {
 public:
  void Check(const ::testing::AssertionResult& result) {
    if (!result && ++count_ <= 10) ADD_FAILURE() << result.message();
  }
  int count() const { return count_; }

 private:
  int count_ = 0;
};

::testing::AssertionResult HalfBitsEqual(float value, uint16_t actual, uint16_t expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << std::hex << "float 0x" << BitsOf(value) << " -> half 0x"
                                       << actual << ", expected 0x" << expected;
}

// FloatToHalfBits(value) against the compiler's conversion; NaNs need only both be NaN.
::testing::AssertionResult NarrowsLikeCompiler(float value) {
  const uint16_t expected = CompilerHalfBits(value);
  const uint16_t actual = FloatToHalfBits(value);
  if (IsHalfNaN(expected) && IsHalfNaN(actual)) return ::testing::AssertionSuccess();
  return HalfBitsEqual(value, actual, expected);
}

// ---- float16 -> float ----

TEST(HalfToFloat, MatchesCompilerForAllBitPatterns) {
  MismatchLog log;
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float expected = CompilerHalfToFloat(static_cast<uint16_t>(bits));
    const float actual = HalfBitsToFloat(static_cast<uint16_t>(bits));
    const bool same =
        std::isnan(expected) ? std::isnan(actual) : BitsOf(actual) == BitsOf(expected);
    log.Check(same ? ::testing::AssertionSuccess()
                   : ::testing::AssertionFailure()
                         << std::hex << "half 0x" << bits << " -> 0x" << BitsOf(actual)
                         << ", expected 0x" << BitsOf(expected));
  }
  EXPECT_EQ(log.count(), 0);
}

// ---- float -> float16 ----

TEST(FloatToHalf, RoundTripsEveryHalfValue) {
  MismatchLog log;
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const uint16_t half = static_cast<uint16_t>(bits);
    const float widened = CompilerHalfToFloat(half);
    log.Check(NarrowsLikeCompiler(widened));
    if (!IsHalfNaN(half)) log.Check(HalfBitsEqual(widened, FloatToHalfBits(widened), half));
  }
  EXPECT_EQ(log.count(), 0);
}

// Calls `check(below, above)` for every pair of adjacent finite halves of the same sign.
template <typename Check>
void ForEveryAdjacentHalfPair(Check check) {
  for (uint16_t sign : {uint16_t{0}, uint16_t{0x8000}}) {
    for (uint16_t magnitude = 0; magnitude < 0x7bff; ++magnitude) {
      check(static_cast<uint16_t>(sign | magnitude), static_cast<uint16_t>(sign | (magnitude + 1)));
    }
  }
}

TEST(FloatToHalf, RoundsMidpointsBetweenAdjacentHalvesToEven) {
  MismatchLog log;
  ForEveryAdjacentHalfPair([&log](uint16_t below, uint16_t above) {
    const float low = CompilerHalfToFloat(below);
    const float high = CompilerHalfToFloat(above);
    const float midpoint = (low + high) / 2;  // exact: 12 significant bits
    ASSERT_TRUE(midpoint != low && midpoint != high);
    const uint16_t even = (below & 1u) == 0 ? below : above;
    log.Check(HalfBitsEqual(midpoint, FloatToHalfBits(midpoint), even));
    log.Check(NarrowsLikeCompiler(midpoint));
  });
  EXPECT_EQ(log.count(), 0);
}

TEST(FloatToHalf, RoundsJustOffMidpointsToTheNearerHalf) {
  MismatchLog log;
  ForEveryAdjacentHalfPair([&log](uint16_t below, uint16_t above) {
    const float low = CompilerHalfToFloat(below);
    const float high = CompilerHalfToFloat(above);
    const float midpoint = (low + high) / 2;
    const float toward_low = std::nextafter(midpoint, low);
    const float toward_high = std::nextafter(midpoint, high);
    log.Check(HalfBitsEqual(toward_low, FloatToHalfBits(toward_low), below));
    log.Check(HalfBitsEqual(toward_high, FloatToHalfBits(toward_high), above));
  });
  EXPECT_EQ(log.count(), 0);
}

TEST(FloatToHalf, MatchesCompilerOnRandomFloatBitPatterns) {
  std::mt19937 generator(20240611);
  MismatchLog log;
  for (int n = 0; n < 1'000'000; ++n) log.Check(NarrowsLikeCompiler(FloatOf(generator())));
  EXPECT_EQ(log.count(), 0);
}

TEST(FloatToHalf, OverflowsToInfinityFromTheMidpointAboveTheLargestHalf) {
  struct Case {
    float value;
    uint16_t expected;
  };
  const float kInfinity = std::numeric_limits<float>::infinity();
  const Case cases[] = {
      {65504.0f, 0x7bff},  // largest finite half
      {std::nextafter(65520.0f, 0.0f), 0x7bff},
      {65520.0f, 0x7c00},  // midpoint to 2^16: the tie goes to the even "next" value, infinity
      {65536.0f, 0x7c00},
      {1e10f, 0x7c00},
      {std::numeric_limits<float>::max(), 0x7c00},
      {kInfinity, 0x7c00},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(HalfBitsEqual(c.value, FloatToHalfBits(c.value), c.expected));
    EXPECT_TRUE(HalfBitsEqual(-c.value, FloatToHalfBits(-c.value), c.expected | 0x8000u));
    EXPECT_TRUE(NarrowsLikeCompiler(c.value));
    EXPECT_TRUE(NarrowsLikeCompiler(-c.value));
  }
}

TEST(FloatToHalf, ProducesSubnormalsWithTiesToEven) {
  struct Case {
    float value;
    uint16_t expected;
  };
  const float unit = std::ldexp(1.0f, -24);  // smallest subnormal half
  const Case cases[] = {
      {unit, 0x0001},
      {unit / 2, 0x0000},  // tie between 0 and 1 ulp: even is 0
      {std::nextafter(unit / 2, 1.0f), 0x0001},
      {1.5f * unit, 0x0002},     // tie between 1 and 2: even is 2
      {2.5f * unit, 0x0002},     // tie between 2 and 3: even is 2
      {1023 * unit, 0x03ff},     // largest subnormal
      {1023.5f * unit, 0x0400},  // tie into the smallest normal
      {std::ldexp(1.0f, -14), 0x0400},
      {std::ldexp(1.0f, -30), 0x0000},
      {std::numeric_limits<float>::denorm_min(), 0x0000},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(HalfBitsEqual(c.value, FloatToHalfBits(c.value), c.expected));
    EXPECT_TRUE(HalfBitsEqual(-c.value, FloatToHalfBits(-c.value), c.expected | 0x8000u));
  }
}

TEST(FloatToHalf, MatchesCompilerAcrossTheSubnormalRange) {
  MismatchLog log;
  // Every multiple of a sixteenth of the subnormal spacing up to 2^-12 (past the normals' start).
  for (int k = 0; k < (1 << 16); ++k) log.Check(NarrowsLikeCompiler(std::ldexp(float(k), -28)));
  // Random significands with exponents from far below the subnormals to the first normals.
  std::mt19937 generator(7);
  std::uniform_int_distribution<uint32_t> exponent(127 - 40, 127 - 13);
  for (int n = 0; n < 200'000; ++n) {
    const uint32_t bits = (generator() & 0x807fffffu) | (exponent(generator) << 23);
    log.Check(NarrowsLikeCompiler(FloatOf(bits)));
  }
  EXPECT_EQ(log.count(), 0);
}

TEST(FloatToHalf, KeepsTheSignOfZeroAndOfUnderflow) {
  EXPECT_EQ(FloatToHalfBits(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalfBits(1e-30f), 0x0000);
  EXPECT_EQ(FloatToHalfBits(-1e-30f), 0x8000);
  EXPECT_EQ(FloatToHalfBits(-std::numeric_limits<float>::denorm_min()), 0x8000);
}

TEST(FloatToHalf, TurnsEveryNaNIntoAQuietNaN) {
  // 0x7f800001 and 0xff800010 carry their payload only in bits that narrowing drops.
  for (uint32_t bits : {0x7fc00000u, 0x7f800001u, 0xff800010u, 0x7fa00000u, 0xffffffffu}) {
    const uint16_t half = FloatToHalfBits(FloatOf(bits));
    EXPECT_TRUE(IsHalfNaN(half)) << std::hex << bits << " -> " << half;
    EXPECT_NE(half & 0x0200u, 0u) << std::hex << bits << " -> " << half << " is not quiet";
  }
}

// ---- bfloat16 ----

uint16_t NarrowBFloat16(uint32_t float_bits) { return FloatToBFloat16Bits(FloatOf(float_bits)); }

TEST(BFloat16, WideningPutsTheBitsInTheHighHalfForAllPatterns) {
  MismatchLog log;
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const uint32_t widened = BitsOf(BFloat16BitsToFloat(static_cast<uint16_t>(bits)));
    log.Check(widened == bits << 16
                  ? ::testing::AssertionSuccess()
                  : ::testing::AssertionFailure() << std::hex << bits << " -> 0x" << widened);
  }
  EXPECT_EQ(log.count(), 0);
}

TEST(BFloat16, RoundTripsAllPatternsQuietingSignalingNaNs) {
  MismatchLog log;
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const uint16_t pattern = static_cast<uint16_t>(bits);
    const uint16_t expected = IsBFloat16NaN(pattern) ? (pattern | 0x0040u) : pattern;
    const uint16_t actual = FloatToBFloat16Bits(BFloat16BitsToFloat(pattern));
    log.Check(actual == expected ? ::testing::AssertionSuccess()
                                 : ::testing::AssertionFailure()
                                       << std::hex << bits << " -> 0x" << actual << ", expected 0x"
                                       << expected);
  }
  EXPECT_EQ(log.count(), 0);
}

TEST(BFloat16, RoundsTiesToEven) {
  EXPECT_EQ(NarrowBFloat16(0x3f808000u), 0x3f80);
  EXPECT_EQ(NarrowBFloat16(0x3f818000u), 0x3f82);
  EXPECT_EQ(NarrowBFloat16(0xbf808000u), 0xbf80);
  EXPECT_EQ(NarrowBFloat16(0xbf818000u), 0xbf82);
  EXPECT_EQ(NarrowBFloat16(0x00008000u), 0x0000);
  EXPECT_EQ(NarrowBFloat16(0x00018000u), 0x0002);
  EXPECT_EQ(NarrowBFloat16(0x7f7e8000u), 0x7f7e);
}

TEST(BFloat16, RoundsNonTiesToTheNearerValue) {
  EXPECT_EQ(NarrowBFloat16(0x3f807fffu), 0x3f80);
  EXPECT_EQ(NarrowBFloat16(0x3f808001u), 0x3f81);
  EXPECT_EQ(NarrowBFloat16(0x3f81ffffu), 0x3f82);
  EXPECT_EQ(NarrowBFloat16(0xc0490fdbu), 0xc049);  // -pi
  EXPECT_EQ(NarrowBFloat16(0x00007fffu), 0x0000);
}

TEST(BFloat16, NaNStaysAQuietNaN) {
  // Rounding the bits naively would turn 0x7f800001 into infinity and 0x7fffffff into -0.
  for (uint32_t bits : {0x7fc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu, 0xffc00001u}) {
    const uint16_t narrowed = NarrowBFloat16(bits);
    EXPECT_TRUE(IsBFloat16NaN(narrowed)) << std::hex << bits << " -> " << narrowed;
    EXPECT_NE(narrowed & 0x0040u, 0u) << std::hex << bits << " -> " << narrowed << " not quiet";
  }
  EXPECT_EQ(NarrowBFloat16(0x7fc00000u), 0x7fc0);
}

TEST(BFloat16, InfinityStaysInfinity) {
  EXPECT_EQ(NarrowBFloat16(0x7f800000u), 0x7f80);
  EXPECT_EQ(NarrowBFloat16(0xff800000u), 0xff80);
}

TEST(BFloat16, LargeFiniteValuesRoundToInfinity) {
  EXPECT_EQ(NarrowBFloat16(0x7f7fffffu), 0x7f80);
  EXPECT_EQ(NarrowBFloat16(0xff7fffffu), 0xff80);
  EXPECT_EQ(NarrowBFloat16(0x7f7f8000u), 0x7f80);  // tie above the odd largest bfloat16
  EXPECT_EQ(NarrowBFloat16(0x7f7f7fffu), 0x7f7f);  // just below the tie stays finite
}

}  // namespace
}  // namespace attnserve
