// One method per RPC of AttentionService: decode the request, compute, fill the response.
// Independent of the transport (no gRPC types), so each RPC's behaviour is testable directly.
// Holds references to what the server owns; every method is thread-safe.
#ifndef ATTNSERVE_SERVER_HANDLERS_REQUEST_HANDLERS_H_
#define ATTNSERVE_SERVER_HANDLERS_REQUEST_HANDLERS_H_

#include <string>

#include "absl/status/status.h"
#include "attnserve/v1/attention.pb.h"
#include "server/decode/request_limits.h"
#include "server/engine/backend_registry.h"
#include "server/metrics/service_metrics.h"

namespace attnserve {

// What GetServerInfo reports beyond the backends and the per-request limits.
struct ServerDescription {
  std::string version;
  int compute_threads = 0;
  int max_inflight_requests = 0;
  int max_queued_requests = 0;
};

class RequestHandlers {
 public:
  RequestHandlers(const BackendRegistry& backends, RequestLimits limits,
                  ServerDescription description, ServiceMetrics& metrics)
      : backends_(backends),
        limits_(limits),
        description_(std::move(description)),
        metrics_(metrics) {}

  // `should_stop` is polled while computing; when it says stop the call ends CANCELLED.
  absl::Status ComputeAttention(const v1::AttentionRequest& request,
                                v1::AttentionResponse& response,
                                const StopCheck& should_stop) const;
  absl::Status ApplyRotary(const v1::RotaryRequest& request, v1::RotaryResponse& response) const;
  absl::Status GetRotaryTable(const v1::RotaryTableRequest& request,
                              v1::RotaryTable& response) const;
  absl::Status GetAlibiSlopes(const v1::AlibiRequest& request, v1::AlibiResponse& response) const;
  absl::Status GetSinusoidalTable(const v1::SinusoidalRequest& request,
                                  v1::SinusoidalResponse& response) const;
  absl::Status GetServerInfo(v1::ServerInfo& response) const;

 private:
  const BackendRegistry& backends_;
  const RequestLimits limits_;
  const ServerDescription description_;
  ServiceMetrics& metrics_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_HANDLERS_REQUEST_HANDLERS_H_
