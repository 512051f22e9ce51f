#include "client/attnctl/bench/bench_report.h"

#include "gtest/gtest.h"

namespace attnserve::attnctl {
namespace {

// A level that served `requests` in one second with every latency equal to `latency_ms`.
LevelReport Level(int concurrency, int requests, double latency_ms) {
  LevelReport level;
  level.result.concurrency = concurrency;
  level.result.seconds = 1;
  level.result.requests = requests;
  level.result.ok = requests;
  for (int i = 0; i < requests; ++i) {
    level.result.latency.Record(static_cast<int64_t>(latency_ms * 1e6));
  }
  return level;
}

TEST(FindKnee, IsWhereThroughputStopsGrowingAndLatencyJumps) {
  const std::optional<Knee> knee =
      FindKnee({Level(1, 100, 10), Level(2, 190, 10.5), Level(4, 195, 20), Level(8, 196, 40)});
  ASSERT_TRUE(knee.has_value());
  EXPECT_EQ(knee->concurrency, 2);
  EXPECT_EQ(knee->reason, "from 2 to 4: throughput +2.6%, p99 +90%");
}

TEST(FindKnee, NoneWhileThroughputScales) {
  EXPECT_FALSE(FindKnee({Level(1, 100, 10), Level(2, 200, 10), Level(4, 390, 11)}).has_value());
}

TEST(FindKnee, FlatThroughputWithFlatLatencyIsNoKnee) {
  EXPECT_FALSE(FindKnee({Level(1, 100, 10), Level(2, 101, 10)}).has_value());
}

}  // namespace
}  // namespace attnserve::attnctl
