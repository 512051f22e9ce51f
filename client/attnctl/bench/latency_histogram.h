// A log-linear latency histogram (HdrHistogram-style; Debian has no C/C++ HdrHistogram):
// nanosecond values below 256 are exact, larger ones fall in one of 128 equal sub-buckets per
// power of two, so a bucket is at most 1/128 of its values wide and a reported percentile (the
// bucket's midpoint) is within 0.4% of the true value. Fixed size (about 58 KiB), mergeable.
// Not thread-safe: one writer at a time.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_BENCH_LATENCY_HISTOGRAM_H_
#define ATTNSERVE_CLIENT_ATTNCTL_BENCH_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace attnserve::attnctl {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(int64_t nanoseconds);  // negative values count as 0
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  // In seconds; 0 when empty.
  double MinSeconds() const;
  double MaxSeconds() const;
  double MeanSeconds() const;
  // The value at `percentile` (0-100], the smallest recorded value with at least that share of
  // values at or below it, as its bucket's midpoint clamped to [min, max].
  double PercentileSeconds(double percentile) const;

 private:
  std::vector<uint64_t> counts_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_BENCH_LATENCY_HISTOGRAM_H_
