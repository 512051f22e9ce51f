#include "server/metrics/grpc_server_metrics.h"

#include <map>

namespace attnserve {
namespace {

using Labels = std::map<std::string, std::string>;

// Latency buckets: Prometheus' defaults, extended to a minute for long-context requests.
const prometheus::Histogram::BucketBoundaries& HandlingBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *buckets;
}

Labels CallLabels(const RpcLabels& rpc) {
  return {{"grpc_service", rpc.service}, {"grpc_method", rpc.method}, {"grpc_type", rpc.type}};
}

Labels HandledLabels(const RpcLabels& rpc, grpc::StatusCode code) {
  Labels labels = CallLabels(rpc);
  labels["grpc_code"] = GrpcCodeName(code);
  return labels;
}

}  // namespace

RpcLabels RpcLabelsFromPath(const std::string& path, std::string type) {
  const size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == 0 || slash == std::string::npos) {
    return {"", path, std::move(type)};
  }
  return {path.substr(1, slash - 1), path.substr(slash + 1), std::move(type)};
}

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "Canceled";
    case grpc::StatusCode::UNKNOWN:
      return "Unknown";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PermissionDenied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc::StatusCode::ABORTED:
      return "Aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OutOfRange";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "Unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "Internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "Unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "DataLoss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, regardless of success "
                         "or failure.")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Histogram of response latency (seconds) of gRPC that had "
                                  "been application-level handled by the server.")
                            .Register(registry)),
      received_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_received_total")
                    .Help("Total number of RPC stream messages received on the server.")
                    .Register(registry)),
      sent_(prometheus::BuildCounter()
                .Name("grpc_server_msg_sent_total")
                .Help("Total number of gRPC stream messages sent by the server.")
                .Register(registry)) {}

void GrpcServerMetrics::Initialize(const std::string& service,
                                   const std::vector<std::string>& methods) {
  for (const std::string& method : methods) {
    const RpcLabels rpc{service, method, "unary"};
    started_.Add(CallLabels(rpc));
    received_.Add(CallLabels(rpc));
    sent_.Add(CallLabels(rpc));
    handling_seconds_.Add(CallLabels(rpc), HandlingBuckets());
    for (int code = 0; code <= static_cast<int>(grpc::StatusCode::UNAUTHENTICATED); ++code) {
      handled_.Add(HandledLabels(rpc, static_cast<grpc::StatusCode>(code)));
    }
  }
}

void GrpcServerMetrics::Started(const RpcLabels& rpc) { started_.Add(CallLabels(rpc)).Increment(); }

void GrpcServerMetrics::Handled(const RpcLabels& rpc, grpc::StatusCode code, double seconds) {
  handled_.Add(HandledLabels(rpc, code)).Increment();
  handling_seconds_.Add(CallLabels(rpc), HandlingBuckets()).Observe(seconds);
}

void GrpcServerMetrics::MessageReceived(const RpcLabels& rpc) {
  received_.Add(CallLabels(rpc)).Increment();
}

void GrpcServerMetrics::MessageSent(const RpcLabels& rpc) {
  sent_.Add(CallLabels(rpc)).Increment();
}

}  // namespace attnserve
