// attnserve's own metrics (prefix attnserve_, base units, _total counters), registered in a
// registry the caller owns and keeps alive:
//   attnserve_attention_requests_total{backend,encoding,dtype}  computed attention requests
//   attnserve_compute_seconds{backend}                          histogram: backend Run time
//   attnserve_attention_flops_total{backend}                    rate() = achieved FLOP/s
//   attnserve_attention_tokens_total{backend}                   query tokens processed
//   attnserve_queue_seconds{method}                             histogram: wait for a thread
//   attnserve_request_bytes{method}, attnserve_response_bytes{method}   histograms
//   attnserve_inflight_requests, attnserve_queued_requests      gauges (the transport's counts)
//   attnserve_compute_threads                                   gauge: size of the executor
//   attnserve_build_info{version,backends}                      always 1
// Thread-safe.
#ifndef ATTNSERVE_SERVER_METRICS_SERVICE_METRICS_H_
#define ATTNSERVE_SERVER_METRICS_SERVICE_METRICS_H_

#include <optional>
#include <string>

#include "kernels/api/attention_problem.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace attnserve {

class ServiceMetrics {
 public:
  // `backends` is the comma-separated list reported by attnserve_build_info.
  ServiceMetrics(prometheus::Registry& registry, const std::string& version,
                 const std::string& backends, int compute_threads);

  // One attention request that ran on `backend` for `compute_seconds`.
  void RecordAttention(const std::string& backend, const AttentionProblem& problem,
                       double compute_seconds);

  // The transport's admission counts, whenever they change: calls in flight and waiting.
  void SetCallLoad(int inflight, int queued);

  // An offloaded call started on a compute thread after `queue_seconds`, then finished with
  // its message sizes.
  void CallStarted(const std::string& method, double queue_seconds);
  // `response_bytes` is absent for a call that failed (it sends no response message).
  void CallFinished(const std::string& method, double request_bytes,
                    std::optional<double> response_bytes);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& compute_seconds_;
  prometheus::Family<prometheus::Counter>& flops_;
  prometheus::Family<prometheus::Counter>& tokens_;
  prometheus::Family<prometheus::Histogram>& queue_seconds_;
  prometheus::Family<prometheus::Histogram>& request_bytes_;
  prometheus::Family<prometheus::Histogram>& response_bytes_;
  prometheus::Gauge& inflight_;
  prometheus::Gauge& queued_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_METRICS_SERVICE_METRICS_H_
