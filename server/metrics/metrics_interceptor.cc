#include "server/metrics/metrics_interceptor.h"

#include <chrono>

namespace attnserve {
namespace {

using grpc::experimental::InterceptionHookPoints;

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  switch (type) {
    case grpc::experimental::ServerRpcInfo::Type::UNARY:
      return "unary";
    case grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// The state of one call: gRPC creates it when the call starts and deletes it when it ends.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(grpc::experimental::ServerRpcInfo* info, GrpcServerMetrics& metrics)
      : metrics_(metrics),
        rpc_(RpcLabelsFromPath(info->method(), TypeName(info->type()))),
        start_(std::chrono::steady_clock::now()) {
    metrics_.Started(rpc_);
  }

  ~MetricsInterceptor() override {
    // A call that ended without sending a status was cancelled (client gone, deadline, drain).
    if (!handled_) metrics_.Handled(rpc_, grpc::StatusCode::CANCELLED, ElapsedSeconds());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      metrics_.MessageReceived(rpc_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      metrics_.MessageSent(rpc_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      handled_ = true;
      metrics_.Handled(rpc_, methods->GetSendStatus().error_code(), ElapsedSeconds());
    }
    methods->Proceed();
  }

 private:
  double ElapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  GrpcServerMetrics& metrics_;
  const RpcLabels rpc_;
  const std::chrono::steady_clock::time_point start_;
  bool handled_ = false;  // gRPC runs one hook batch at a time per call
};

}  // namespace

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(info, metrics_);
}

}  // namespace attnserve
