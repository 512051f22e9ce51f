// The standard process metrics of the Prometheus client libraries, read from /proc at each
// scrape (prometheus-cpp has no process collector of its own):
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds, process_threads.
// A metric whose /proc file cannot be read is left out of that scrape. Thread-safe.
#ifndef ATTNSERVE_SERVER_METRICS_PROCESS_COLLECTOR_H_
#define ATTNSERVE_SERVER_METRICS_PROCESS_COLLECTOR_H_

#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace attnserve {

class ProcessCollector final : public prometheus::Collectable {
 public:
  // `proc_root` is /proc normally; tests point it at a fake tree. `self` names the process
  // directory below it ("self").
  explicit ProcessCollector(std::string proc_root = "/proc", std::string self = "self");

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_root_;
  std::string self_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_METRICS_PROCESS_COLLECTOR_H_
