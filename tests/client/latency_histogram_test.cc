#include "client/attnctl/bench/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace attnserve::attnctl {
namespace {

// The exact percentile of `values` by the same definition the histogram uses.
double ExactPercentile(std::vector<int64_t> values, double percentile) {
  std::sort(values.begin(), values.end());
  const auto rank = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(percentile / 100 * static_cast<double>(values.size()))));
  return static_cast<double>(values[rank - 1]) * 1e-9;
}

TEST(LatencyHistogram, PercentilesAreWithinOnePercentOverSixDecades) {
  std::mt19937_64 generator(42);
  // Log-uniform from 1 us to 10 s, the range of real latencies.
  std::uniform_real_distribution<double> log_ns(3, 10);
  std::vector<int64_t> values(200000);
  LatencyHistogram histogram;
  for (int64_t& value : values) {
    value = static_cast<int64_t>(std::pow(10.0, log_ns(generator)));
    histogram.Record(value);
  }
  for (double percentile : {1.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0}) {
    const double exact = ExactPercentile(values, percentile);
    EXPECT_NEAR(histogram.PercentileSeconds(percentile), exact, 0.01 * exact) << percentile;
  }
  EXPECT_EQ(histogram.count(), 200000);
  EXPECT_EQ(histogram.MinSeconds(), *std::min_element(values.begin(), values.end()) * 1e-9);
  EXPECT_EQ(histogram.MaxSeconds(), *std::max_element(values.begin(), values.end()) * 1e-9);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (int64_t value : {3, 7, 7, 200}) histogram.Record(value);
  EXPECT_DOUBLE_EQ(histogram.PercentileSeconds(50), 7e-9);
  EXPECT_DOUBLE_EQ(histogram.PercentileSeconds(100), 200e-9);
  EXPECT_DOUBLE_EQ(histogram.MeanSeconds(), 54.25e-9);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int64_t v = 1000; v < 2000000; v += 997) {
    ((v / 997) % 2 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double p : {50.0, 99.0}) EXPECT_EQ(a.PercentileSeconds(p), all.PercentileSeconds(p));
  EXPECT_EQ(a.MinSeconds(), all.MinSeconds());
  EXPECT_EQ(a.MaxSeconds(), all.MaxSeconds());
}

TEST(LatencyHistogram, EmptyReportsZero) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.PercentileSeconds(99), 0);
  EXPECT_EQ(histogram.MeanSeconds(), 0);
}

}  // namespace
}  // namespace attnserve::attnctl
