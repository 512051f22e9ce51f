// A gRPC server interceptor that records GrpcServerMetrics for every call of every service
// (attnserve, health, reflection), failed and cancelled ones included: started when the call
// begins, one message count per message each way, and handled with the status code and the
// latency when the status is sent, or as Canceled when the call ends without one.
#ifndef ATTNSERVE_SERVER_METRICS_METRICS_INTERCEPTOR_H_
#define ATTNSERVE_SERVER_METRICS_METRICS_INTERCEPTOR_H_

#include "grpcpp/support/server_interceptor.h"
#include "server/metrics/grpc_server_metrics.h"

namespace attnserve {

// Creates one interceptor per call; `metrics` must outlive the server.
class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  GrpcServerMetrics& metrics_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_METRICS_METRICS_INTERCEPTOR_H_
