#include "client/attnctl/bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace attnserve::attnctl {
namespace {

constexpr int kSubBucketBits = 7;  // 128 sub-buckets per power of two
constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;
constexpr int64_t kExact = 2 * kSubBuckets;  // values below 256 have a bucket each
constexpr size_t kBuckets = kExact + (63 - 8) * kSubBuckets;

size_t BucketOf(int64_t value) {
  if (value < kExact) return static_cast<size_t>(value);
  const int exponent = 63 - std::countl_zero(static_cast<uint64_t>(value));  // >= 8
  const int shift = exponent - kSubBucketBits;
  const int64_t sub_bucket = (value >> shift) - kSubBuckets;
  return static_cast<size_t>(kExact + (exponent - 8) * kSubBuckets + sub_bucket);
}

// The midpoint of the values bucket `index` holds.
double Midpoint(size_t index) {
  if (index < static_cast<size_t>(kExact)) return static_cast<double>(index);
  const int64_t offset = static_cast<int64_t>(index) - kExact;
  const int shift = static_cast<int>(offset / kSubBuckets) + 8 - kSubBucketBits;
  const int64_t lower = (kSubBuckets + offset % kSubBuckets) << shift;
  return static_cast<double>(lower) + static_cast<double>(int64_t{1} << shift) / 2;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

void LatencyHistogram::Record(int64_t nanoseconds) {
  const int64_t value = std::max<int64_t>(nanoseconds, 0);
  ++counts_[BucketOf(value)];
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = count_ == 0 ? value : std::max(max_, value);
  sum_ += static_cast<double>(value);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

double LatencyHistogram::MinSeconds() const { return static_cast<double>(min_) * 1e-9; }
double LatencyHistogram::MaxSeconds() const { return static_cast<double>(max_) * 1e-9; }
double LatencyHistogram::MeanSeconds() const {
  return count_ == 0 ? 0 : sum_ / static_cast<double>(count_) * 1e-9;
}

double LatencyHistogram::PercentileSeconds(double percentile) const {
  if (count_ == 0) return 0;
  // The epsilon keeps 99.9% of 1000 at rank 999: 99.9 / 100 * 1000 is 999.0000000000001.
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(percentile / 100 * static_cast<double>(count_) - 1e-9)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double value =
          std::clamp(Midpoint(i), static_cast<double>(min_), static_cast<double>(max_));
      return value * 1e-9;
    }
  }
  return MaxSeconds();
}

}  // namespace attnserve::attnctl
