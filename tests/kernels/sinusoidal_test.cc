// Pins SinusoidalRow to the sinusoidal rows of docs/encodings.md section 6 and to the paper's
// interleaved sin/cos order (section 4).
#include "kernels/encoding/sinusoidal.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace attnserve {
namespace {

constexpr double kAbsoluteTolerance = 1e-12;

std::vector<double> Row(int dim, double theta, int64_t position) {
  std::vector<double> row(dim);
  SinusoidalRow(dim, theta, position, row.data());
  return row;
}

void ExpectNear(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t c = 0; c < expected.size(); ++c) {
    EXPECT_NEAR(actual[c], expected[c], kAbsoluteTolerance) << "dim " << c;
  }
}

TEST(Sinusoidal, Dim8Position5MatchesWorkedValues) {
  ExpectNear(Row(8, 10000, 5), {-0.95892427466313845, 0.28366218546322625, 0.47942553860420301,
                                0.87758256189037276, 0.049979169270678331, 0.99875026039496628,
                                0.0049999791666927081, 0.99998750002604164});
}

TEST(Sinusoidal, Dim8Position70000MatchesWorkedValues) {
  ExpectNear(Row(8, 10000, 70000),
             {-0.82347402298498873, 0.56735397545881205, 0.50688542994916974, 0.86201343429510735,
              0.54397052336337559, -0.83910432588074246, 0.77389068155788909, 0.63331920308629985});
}

TEST(Sinusoidal, PositionZeroInterleavesSinZeroAndCosOne) {
  ExpectNear(Row(6, 10000, 0), {0, 1, 0, 1, 0, 1});
}

TEST(Sinusoidal, UsesThetaAsTheFrequencyBase) {
  const int dim = 6;
  const double theta = 500;
  const int64_t position = 37;
  std::vector<double> expected;
  for (int i = 0; i < dim / 2; ++i) {
    const double angle = position * std::pow(theta, -2.0 * i / dim);
    expected.push_back(std::sin(angle));
    expected.push_back(std::cos(angle));
  }
  ExpectNear(Row(dim, theta, position), expected);
}

}  // namespace
}  // namespace attnserve
