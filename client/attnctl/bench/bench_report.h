// How attnctl bench reports: a table for people on stdout, the JSON document of
// docs/load-testing.md for machines, CSV rows for sweeps, and the knee of a sweep.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_BENCH_BENCH_REPORT_H_
#define ATTNSERVE_CLIENT_ATTNCTL_BENCH_BENCH_REPORT_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "client/attnctl/bench/load_generator.h"
#include "client/attnctl/bench/workload.h"

namespace attnserve::attnctl {

// One load level as reported: the measured result plus how stable its windows were.
struct LevelReport {
  LevelResult result;
  std::vector<LevelResult> windows;  // every window measured (one without --stable)
  std::optional<bool> stable;        // only with --stable: did the last three windows agree
  double spread = 0;                 // (max - min) / mean of requests/s over the windows kept
};

struct BenchConfigReport {
  std::vector<std::string> targets;
  std::string mode;  // "closed" or "open"
  int connections = 1;
  double duration_s = 0;
  int64_t requests = 0;
  double warmup_s = 0;
  int verify_every = 0;
};

// requests / seconds of a measured result; 0 for an empty window.
double RequestsPerSecond(const LevelResult& result);

// The level after which more concurrency stops paying: throughput grows < 5% to the next level
// while p99 latency grows > 50%. nullopt when throughput kept scaling.
struct Knee {
  int concurrency = 0;
  std::string reason;
};
std::optional<Knee> FindKnee(const std::vector<LevelReport>& levels);

void PrintLevelDetails(std::ostream& out, const LevelReport& level);
void PrintSweepTable(std::ostream& out, const std::vector<LevelReport>& levels,
                     const std::optional<Knee>& knee);
std::string BenchJson(const BenchConfigReport& config, const Workload& workload,
                      const std::vector<LevelReport>& levels, const std::optional<Knee>& knee);
std::string BenchCsv(const std::vector<LevelReport>& levels);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_BENCH_BENCH_REPORT_H_
