// The gRPC server metrics of go-grpc-prometheus / grpc-ecosystem, with the same names, labels
// and label values (grpc_code is Go's CamelCase code name, grpc_type "unary" ...), so existing
// dashboards and alerts work unchanged:
//   grpc_server_started_total, grpc_server_handled_total, grpc_server_handling_seconds,
//   grpc_server_msg_received_total, grpc_server_msg_sent_total.
// Registered in a registry the caller owns and keeps alive. Thread-safe.
#ifndef ATTNSERVE_SERVER_METRICS_GRPC_SERVER_METRICS_H_
#define ATTNSERVE_SERVER_METRICS_GRPC_SERVER_METRICS_H_

#include <string>
#include <vector>

#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace attnserve {

// Which RPC a sample belongs to.
struct RpcLabels {
  std::string service;  // "attnserve.v1.AttentionService"
  std::string method;   // "ComputeAttention"
  std::string type;     // "unary", "client_stream", "server_stream" or "bidi_stream"
};

// "/pkg.Service/Method" -> service and method (a name without that shape goes whole into method).
RpcLabels RpcLabelsFromPath(const std::string& path, std::string type);

// Go's name of a status code ("OK", "InvalidArgument", "Canceled", ...).
const char* GrpcCodeName(grpc::StatusCode code);

class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // Creates every series of these methods at zero (as go-grpc-prometheus' InitializeMetrics
  // does), so rate() and absent-series alerts work before the first call.
  void Initialize(const std::string& service, const std::vector<std::string>& methods);

  void Started(const RpcLabels& rpc);
  void Handled(const RpcLabels& rpc, grpc::StatusCode code, double seconds);
  void MessageReceived(const RpcLabels& rpc);
  void MessageSent(const RpcLabels& rpc);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_METRICS_GRPC_SERVER_METRICS_H_
