#include "server/metrics/service_metrics.h"

#include "kernels/api/attention_work.h"
#include "kernels/api/data_type.h"

namespace attnserve {
namespace {

// Seconds from 100 us to a minute, two buckets per decade and then some.
prometheus::Histogram::BucketBoundaries SecondsBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
}

// 1 KiB to 1 GiB in powers of four.
prometheus::Histogram::BucketBoundaries ByteBuckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  for (double bound = 1024; bound <= 1024.0 * 1024 * 1024; bound *= 4) buckets.push_back(bound);
  return buckets;
}

}  // namespace

ServiceMetrics::ServiceMetrics(prometheus::Registry& registry, const std::string& version,
                               const std::string& backends, int compute_threads)
    : requests_(prometheus::BuildCounter()
                    .Name("attnserve_attention_requests_total")
                    .Help("ComputeAttention requests computed, by backend, encoding and dtype.")
                    .Register(registry)),
      compute_seconds_(prometheus::BuildHistogram()
                           .Name("attnserve_compute_seconds")
                           .Help("Time a backend spent computing one attention request.")
                           .Register(registry)),
      flops_(prometheus::BuildCounter()
                 .Name("attnserve_attention_flops_total")
                 .Help("Attention FLOPs done: 2*(head_dim+v_head_dim) per visible query-key "
                       "pair and head; rate() gives achieved FLOP/s.")
                 .Register(registry)),
      tokens_(prometheus::BuildCounter()
                  .Name("attnserve_attention_tokens_total")
                  .Help("Query tokens processed (batch * q_len per request).")
                  .Register(registry)),
      queue_seconds_(prometheus::BuildHistogram()
                         .Name("attnserve_queue_seconds")
                         .Help("Time a call waited for a compute thread.")
                         .Register(registry)),
      request_bytes_(prometheus::BuildHistogram()
                         .Name("attnserve_request_bytes")
                         .Help("Size of request messages.")
                         .Register(registry)),
      response_bytes_(prometheus::BuildHistogram()
                          .Name("attnserve_response_bytes")
                          .Help("Size of response messages.")
                          .Register(registry)),
      inflight_(prometheus::BuildGauge()
                    .Name("attnserve_inflight_requests")
                    .Help("Calls accepted and not yet finished (queued or computing).")
                    .Register(registry)
                    .Add({})),
      queued_(prometheus::BuildGauge()
                  .Name("attnserve_queued_requests")
                  .Help("Calls waiting for a compute thread.")
                  .Register(registry)
                  .Add({})) {
  prometheus::BuildGauge()
      .Name("attnserve_build_info")
      .Help("Always 1; the labels say which build is running.")
      .Register(registry)
      .Add({{"version", version}, {"backends", backends}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("attnserve_compute_threads")
      .Help("Threads computing requests (--threads); queued / threads measures saturation.")
      .Register(registry)
      .Add({})
      .Set(compute_threads);
}

void ServiceMetrics::RecordAttention(const std::string& backend, const AttentionProblem& problem,
                                     double compute_seconds) {
  const AttentionWork work = CountAttentionWork(problem);
  requests_
      .Add({{"backend", backend},
            {"encoding", EncodingKind(problem)},
            {"dtype", ToString(problem.query.dtype)}})
      .Increment();
  compute_seconds_.Add({{"backend", backend}}, SecondsBuckets()).Observe(compute_seconds);
  flops_.Add({{"backend", backend}}).Increment(work.flops);
  tokens_.Add({{"backend", backend}}).Increment(static_cast<double>(work.query_tokens));
}

void ServiceMetrics::SetCallLoad(int inflight, int queued) {
  inflight_.Set(inflight);
  queued_.Set(queued);
}

void ServiceMetrics::CallStarted(const std::string& method, double queue_seconds) {
  queue_seconds_.Add({{"method", method}}, SecondsBuckets()).Observe(queue_seconds);
}

void ServiceMetrics::CallFinished(const std::string& method, double request_bytes,
                                  std::optional<double> response_bytes) {
  request_bytes_.Add({{"method", method}}, ByteBuckets()).Observe(request_bytes);
  if (response_bytes) {
    response_bytes_.Add({{"method", method}}, ByteBuckets()).Observe(*response_bytes);
  }
}

}  // namespace attnserve
