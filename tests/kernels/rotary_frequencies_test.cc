// Pins ComputeRotaryFrequencies to every inverse frequency and attention factor of
// docs/encodings.md section 6 (1e-12 relative), plus the rules of section 2 that the worked
// values alone do not show: which scalings read the request length and which override wins.
#include "kernels/encoding/rotary_frequencies.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/api/encoding_spec.h"
#include "tests/support/worked_specs.h"

namespace attnserve {
namespace {

using testing::Spec;
using testing::Yarn;

constexpr double kRelativeTolerance = 1e-12;
constexpr int kHeadDim = 8;
// Request length of the worked `@5` vectors (positions = [5]); the scalings that ignore the
// length are evaluated at it too.
constexpr int64_t kShortLength = 6;

YarnScaling YarnLlama() { return Yarn(4, 4096); }

YarnScaling YarnDeepseek() { return Yarn(40, 4096, 0.707, 0.707); }

// The worked `longrope` spec: factor 32, original_max_position 4096.
LongRopeScaling LongRope() { return {{1, 1.25, 1.5, 2}, {1, 2.5, 8, 24}, 4096, 32, std::nullopt}; }

std::vector<double> LongRopeShortInvFreq() {
  return {1, 0.080000000000000002, 0.0066666666666666671, 0.00050000000000000001};
}
std::vector<double> LongRopeLongInvFreq() {
  return {1, 0.040000000000000001, 0.00125, 4.1666666666666665e-05};
}
constexpr double kLongRopeAttentionFactor = 1.1902380714238083;

void ExpectRelativelyNear(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], kRelativeTolerance * std::abs(expected[i])) << "pair " << i;
  }
}

void ExpectFactorNear(double actual, double expected) {
  EXPECT_NEAR(actual, expected, kRelativeTolerance * std::abs(expected));
}

// Pairs 0, 32 and 63 of a rotary_dim 128 table, as the head_dim-128 worked values list them.
std::vector<double> Pairs0And32And63(const RotaryFrequencies& frequencies) {
  EXPECT_EQ(frequencies.inv_freq.size(), 64u);
  if (frequencies.inv_freq.size() != 64) return {};
  return {frequencies.inv_freq[0], frequencies.inv_freq[32], frequencies.inv_freq[63]};
}

TEST(RotaryFrequencies, DefaultTheta1e4MatchesWorkedValues) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec({}), kShortLength);
  ExpectRelativelyNear(f.inv_freq, {1, 0.10000000000000001, 0.01, 0.001});
}

TEST(RotaryFrequencies, DefaultTheta5e5MatchesWorkedValues) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec({}, 500000), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.037606030930863933, 0.0014142135623730952, 5.318295896944989e-05});
}

TEST(RotaryFrequencies, LinearFactor4MatchesWorkedValues) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(LinearScaling{4}), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {0.25, 0.025000000000000001, 0.0025000000000000001, 0.00025000000000000001});
}

TEST(RotaryFrequencies, NtkAlpha4MatchesWorkedValues) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(NtkScaling{4}), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.06299605249474366, 0.0039685026299204991, 0.00025000000000000001});
}

TEST(RotaryFrequencies, DynamicNtkMatchesWorkedValuesAtLength8192) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(DynamicNtkScaling{2, 4096}), 8192);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.069336127435063469, 0.0048074985676913613, 0.00033333333333333332});
}

TEST(RotaryFrequencies, DynamicNtkMatchesWorkedValuesAtLength70001) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(DynamicNtkScaling{2, 4096}), 70001);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.031120060969098407, 0.00096845819472040229, 3.0138478065721902e-05});
}

TEST(RotaryFrequencies, DynamicNtkEqualsDefaultUpToOriginalLength) {
  const std::vector<double> unscaled = ComputeRotaryFrequencies(Spec({}), 1).inv_freq;
  for (int64_t length : {1, 6, 4095, 4096}) {
    const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(DynamicNtkScaling{2, 4096}), length);
    EXPECT_EQ(f.inv_freq, unscaled) << "L = " << length;
  }
}

TEST(RotaryFrequencies, YarnLlamaMatchesWorkedValues) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(YarnLlama()), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.10000000000000001, 0.0062500000000000003, 0.00025000000000000001});
  ExpectFactorNear(f.attention_factor, 1.1386294361119891);
}

TEST(RotaryFrequencies, YarnDeepseekMatchesWorkedValues) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(YarnDeepseek()), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.10000000000000001, 0.0051250000000000002, 2.5000000000000001e-05});
  ExpectFactorNear(f.attention_factor, 1);
}

TEST(RotaryFrequencies, YarnMscaleOnlyMatchesWorkedValues) {
  const YarnScaling yarn = Yarn(40, 4096, /*mscale=*/0.707);
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(yarn), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.10000000000000001, 0.0051250000000000002, 2.5000000000000001e-05});
  ExpectFactorNear(f.attention_factor, 1.3688879454113936);
}

TEST(RotaryFrequencies, YarnGptOssWithoutTruncationMatchesWorkedValues) {
  const YarnScaling yarn = Yarn(32, 4096, std::nullopt, std::nullopt, /*truncate=*/false);
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(yarn, 150000), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.050813274815461475, 0.00045648391922324086, 4.0999784818029804e-06});
  ExpectFactorNear(f.attention_factor, 1.3465735902799727);
}

TEST(RotaryFrequencies, YarnClampMatchesWorkedValues) {
  const YarnScaling yarn = Yarn(8, 131072);
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(yarn), kShortLength);
  ExpectRelativelyNear(f.inv_freq, {1, 0.10000000000000001, 0.01, 0.00070833333333333338});
  ExpectFactorNear(f.attention_factor, 1.2079441541679836);
}

TEST(RotaryFrequencies, PartialYarnRotaryDim4MatchesWorkedValues) {
  const RotaryFrequencies f =
      ComputeRotaryFrequencies(Spec(YarnLlama(), 10000, /*rotary_dim=*/4), kShortLength);
  ExpectRelativelyNear(f.inv_freq, {1, 0.0062500000000000003});
  ExpectFactorNear(f.attention_factor, 1.1386294361119891);
  EXPECT_EQ(f.rotary_dim, 4);
}

TEST(RotaryFrequencies, YarnWithEqualRampBoundsSplitsPairsWithoutDividingByZero) {
  // L0 = 4 puts r(beta_slow) in (-1, 0] and r(beta_fast) below 0, so lo = hi = 0 after truncation
  // and clamping; with hi = 0.001 pair 0 keeps omega and every other pair gets omega / f.
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(Yarn(4, 4)), kShortLength);
  ExpectRelativelyNear(f.inv_freq, {1, 0.1 / 4, 0.01 / 4, 0.001 / 4});
  ExpectFactorNear(f.attention_factor, 1 + 0.1 * std::log(4.0));
}

TEST(RotaryFrequencies, YarnExplicitAttentionFactorOverridesMscale) {
  YarnScaling yarn = YarnDeepseek();
  yarn.attention_factor = 0.8125;
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(yarn), kShortLength);
  EXPECT_EQ(f.attention_factor, 0.8125);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.10000000000000001, 0.0051250000000000002, 2.5000000000000001e-05});
}

TEST(RotaryFrequencies, Llama3MatchesWorkedValues) {
  const RotaryFrequencies f =
      ComputeRotaryFrequencies(Spec(Llama3Scaling{8, 1, 4, 8192}, 500000), kShortLength);
  ExpectRelativelyNear(f.inv_freq,
                       {1, 0.037606030930863933, 0.0005248461609929549, 6.6478698711812362e-06});
}

TEST(RotaryFrequencies, LongRopeUsesShortFactorsUpToOriginalLength) {
  for (int64_t length : {1, 6, 4096}) {
    SCOPED_TRACE(length);
    const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(LongRope()), length);
    ExpectRelativelyNear(f.inv_freq, LongRopeShortInvFreq());
    ExpectFactorNear(f.attention_factor, kLongRopeAttentionFactor);
  }
}

TEST(RotaryFrequencies, LongRopeUsesLongFactorsBeyondOriginalLength) {
  for (int64_t length : {4097, 70001}) {
    SCOPED_TRACE(length);
    const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(LongRope()), length);
    ExpectRelativelyNear(f.inv_freq, LongRopeLongInvFreq());
    ExpectFactorNear(f.attention_factor, kLongRopeAttentionFactor);
  }
}

TEST(RotaryFrequencies, LongRopeAttentionFactorDoesNotDependOnLength) {
  const double at_one = ComputeRotaryFrequencies(Spec(LongRope()), 1).attention_factor;
  for (int64_t length : {6, 4096, 4097, 70001, 1 << 24}) {
    EXPECT_EQ(ComputeRotaryFrequencies(Spec(LongRope()), length).attention_factor, at_one)
        << "L = " << length;
  }
}

TEST(RotaryFrequencies, LongRopeAttentionFactorIsOneForFactorAtMostOne) {
  LongRopeScaling longrope = LongRope();
  longrope.factor = 1;
  EXPECT_EQ(ComputeRotaryFrequencies(Spec(longrope), 70001).attention_factor, 1);
}

TEST(RotaryFrequencies, LongRopeExplicitAttentionFactorNeedsNoFactor) {
  LongRopeScaling longrope = LongRope();
  longrope.factor = std::nullopt;
  longrope.attention_factor = 1.25;
  const RotaryFrequencies short_f = ComputeRotaryFrequencies(Spec(longrope), kShortLength);
  const RotaryFrequencies long_f = ComputeRotaryFrequencies(Spec(longrope), 70001);
  EXPECT_EQ(short_f.attention_factor, 1.25);
  EXPECT_EQ(long_f.attention_factor, 1.25);
  ExpectRelativelyNear(short_f.inv_freq, LongRopeShortInvFreq());
  ExpectRelativelyNear(long_f.inv_freq, LongRopeLongInvFreq());
}

TEST(RotaryFrequencies, ScalingsOtherThanYarnAndLongRopeHaveUnitAttentionFactor) {
  const RotaryScaling scalings[] = {std::monostate{}, LinearScaling{4}, NtkScaling{4},
                                    DynamicNtkScaling{2, 4096}, Llama3Scaling{8, 1, 4, 8192}};
  for (const RotaryScaling& scaling : scalings) {
    for (int64_t length : {kShortLength, int64_t{70001}}) {
      EXPECT_EQ(ComputeRotaryFrequencies(Spec(scaling), length).attention_factor, 1)
          << ScalingName(scaling) << " at L = " << length;
    }
  }
}

TEST(RotaryFrequencies, CarriesRotaryDimAndLayoutIntoTheResult) {
  RotarySpec spec = Spec(YarnLlama(), 10000, /*rotary_dim=*/6);
  spec.interleaved = true;
  const RotaryFrequencies f = ComputeRotaryFrequencies(spec, kShortLength);
  EXPECT_EQ(f.rotary_dim, 6);
  EXPECT_TRUE(f.interleaved);
  EXPECT_EQ(f.inv_freq.size(), 3u);
}

TEST(RotaryFrequencies, DefaultTheta1e4HeadDim128MatchesWorkedPairs) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec({}, 10000, 128), kShortLength);
  ExpectRelativelyNear(Pairs0And32And63(f), {1, 0.01, 0.00011547819846894582});
}

TEST(RotaryFrequencies, DefaultTheta5e5HeadDim128MatchesWorkedPairs) {
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec({}, 500000, 128), kShortLength);
  ExpectRelativelyNear(Pairs0And32And63(f), {1, 0.0014142135623730952, 2.4551407911316089e-06});
}

TEST(RotaryFrequencies, YarnQwenHeadDim128MatchesWorkedValues) {
  const YarnScaling yarn = Yarn(4, 32768);
  const RotaryFrequencies f = ComputeRotaryFrequencies(Spec(yarn, 1000000, 128), kShortLength);
  ExpectRelativelyNear(Pairs0And32And63(f), {1, 0.00060294117647058821, 3.1023444018792988e-07});
  ExpectFactorNear(f.attention_factor, 1.1386294361119891);
}

TEST(RotaryFrequencies, Llama3HeadDim128MatchesWorkedPairs) {
  const RotaryFrequencies f =
      ComputeRotaryFrequencies(Spec(Llama3Scaling{8, 1, 4, 8192}, 500000, 128), kShortLength);
  ExpectRelativelyNear(Pairs0And32And63(f), {1, 0.0005248461609929549, 3.0689259889145111e-07});
}

}  // namespace
}  // namespace attnserve
