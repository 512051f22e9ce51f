// A gRPC server interceptor that records GrpcServerMetrics for every call that reaches a
// handler (attnserve, health, reflection), failed and cancelled ones included: started when
// the call begins, one message count per message each way, and handled with the status code and
// the latency when the status is sent. A call whose client left is handled as
// DeadlineExceeded if its deadline had passed, else Canceled (Go's ctx.Err() convention), so
// overload shows up as errors. Labels are only ever the methods the server serves: any other
// path becomes service and method "unknown", so clients cannot grow the series without bound.
// Calls gRPC refuses before a handler (e.g. over the message size limit) are not seen.
#ifndef ATTNSERVE_SERVER_METRICS_METRICS_INTERCEPTOR_H_
#define ATTNSERVE_SERVER_METRICS_METRICS_INTERCEPTOR_H_

#include <set>
#include <string>
#include <vector>

#include "grpcpp/support/server_interceptor.h"
#include "server/metrics/grpc_server_metrics.h"

namespace attnserve {

// Creates one interceptor per call; `metrics` must outlive the server.
class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `known_services`: full service names whose methods get their own labels.
  MetricsInterceptorFactory(GrpcServerMetrics& metrics,
                            const std::vector<std::string>& known_services);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  GrpcServerMetrics& metrics_;
  std::set<std::string> known_paths_;  // "/package.Service/Method"
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_METRICS_METRICS_INTERCEPTOR_H_
