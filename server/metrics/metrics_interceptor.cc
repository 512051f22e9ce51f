#include "server/metrics/metrics_interceptor.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/server_context.h"

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
  MetricsInterceptor(grpc::experimental::ServerRpcInfo* info, RpcLabels rpc,
                     GrpcServerMetrics& metrics)
      : info_(info),
        metrics_(metrics),
        rpc_(std::move(rpc)),
        start_(std::chrono::steady_clock::now()) {
    metrics_.Started(rpc_);
  }

  ~MetricsInterceptor() override {
    // A call that ended without sending a status was cancelled (client gone, deadline, drain).
    if (!handled_) metrics_.Handled(rpc_, ClientGoneCode(), ElapsedSeconds());
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
      // When the client is gone, what the handler said never reaches it: record why it left.
      const bool client_gone = info_->server_context()->IsCancelled();
      metrics_.Handled(rpc_, client_gone ? ClientGoneCode() : methods->GetSendStatus().error_code(),
                       ElapsedSeconds());
    }
    methods->Proceed();
  }

 private:
  grpc::StatusCode ClientGoneCode() const {
    return info_->server_context()->deadline() <= std::chrono::system_clock::now()
               ? grpc::StatusCode::DEADLINE_EXCEEDED
               : grpc::StatusCode::CANCELLED;
  }

  double ElapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  grpc::experimental::ServerRpcInfo* const info_;
  GrpcServerMetrics& metrics_;
  const RpcLabels rpc_;
  const std::chrono::steady_clock::time_point start_;
  bool handled_ = false;  // gRPC runs one hook batch at a time per call
};

}  // namespace

MetricsInterceptorFactory::MetricsInterceptorFactory(GrpcServerMetrics& metrics,
                                                     const std::vector<std::string>& known_services)
    : metrics_(metrics) {
  for (const std::string& name : known_services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    for (int m = 0; service != nullptr && m < service->method_count(); ++m) {
      known_paths_.insert(absl::StrCat("/", name, "/", service->method(m)->name()));
    }
  }
}

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const std::string type = TypeName(info->type());
  RpcLabels rpc = known_paths_.contains(info->method()) ? RpcLabelsFromPath(info->method(), type)
                                                        : RpcLabels{"unknown", "unknown", type};
  return new MetricsInterceptor(info, std::move(rpc), metrics_);
}

}  // namespace attnserve
