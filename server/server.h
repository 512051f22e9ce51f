// An attnserve server: executor, backends, handlers, metrics and the gRPC server with health
// and reflection, assembled from one ServerConfig and owned together for the process's
// lifetime. Start and Shutdown are called from the main thread.
#ifndef ATTNSERVE_SERVER_SERVER_H_
#define ATTNSERVE_SERVER_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "prometheus/registry.h"
#include "server/decode/request_limits.h"
#include "server/engine/backend_registry.h"
#include "server/engine/executor.h"
#include "server/handlers/request_handlers.h"
#include "server/metrics/grpc_server_metrics.h"
#include "server/metrics/metrics_endpoint.h"
#include "server/metrics/process_collector.h"
#include "server/metrics/service_metrics.h"
#include "server/security/bearer_token_auth.h"
#include "server/security/tls_files.h"
#include "server/transport/attention_service.h"

namespace attnserve {

struct ServerConfig {
  std::string host = "0.0.0.0";
  int port = 50051;  // 0 picks a free port
  // /metrics over plain HTTP on metrics_host:metrics_port; 0 disables it, -1 picks a free port.
  // metrics_host empty means `host`. /metrics has no TLS: Debian 12's civetweb crashes on the
  // first HTTPS request with OpenSSL 3, so a TLS deployment binds it to an internal address.
  std::string metrics_host;
  int metrics_port = 9464;
  // Requests computed at once (the executor), and the threads the cpu backend spreads one
  // request over (its own pool plus the calling executor thread).
  int compute_threads = 1;
  RequestLimits limits;
  AdmissionLimits admission;
  // "auto" means cuda when a usable GPU exists, else cpu.
  std::string default_backend = "cpu";
  int cuda_device = 0;  // the GPU the cuda backend uses
  // TLS for gRPC and /metrics; all empty means plaintext.
  TlsFlags tls;
  // Empty: no authentication. Else every AttentionService call needs one of its bearer tokens;
  // health and reflection stay open for probes.
  std::string auth_token_file;
};

class Server {
 public:
  // Binds and starts serving, recording metrics in `registry` (shared with the /metrics
  // endpoint, and with tests that inspect it). Fails with a message when the config is
  // unusable or an address cannot be bound. Health says SERVING only if every backend passed
  // its self-check; otherwise the server runs NOT_SERVING and `self_check()` says why.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerConfig& config, std::shared_ptr<prometheus::Registry> registry);

  ~Server();

  int port() const { return port_; }
  // 0 when /metrics is disabled.
  int metrics_port() const { return metrics_endpoint_ ? metrics_endpoint_->port() : 0; }
  const absl::Status& self_check() const { return self_check_; }
  // The backend of requests that name none: --backend, with auto resolved.
  const std::string& default_backend() const { return backends_.default_name(); }

  // Health goes NOT_SERVING, new AttentionService calls are refused with UNAVAILABLE, in-flight
  // calls get until `grace` to finish; then gRPC cancels what is left, though a computation
  // already running on a compute thread still runs to its end. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  Server(const ServerConfig& config, BackendRegistry backends, std::optional<BearerTokenAuth> auth,
         std::shared_ptr<prometheus::Registry> registry);
  absl::Status StartMetricsEndpoint(const ServerConfig& config);

  // Destruction runs bottom-up: the gRPC server stops before what its calls use goes away,
  // and the /metrics endpoint before the metrics it reads.
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ProcessCollector> process_collector_;
  GrpcServerMetrics grpc_metrics_;
  ServiceMetrics service_metrics_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  Executor executor_;
  BackendRegistry backends_;
  RequestHandlers handlers_;
  const std::optional<BearerTokenAuth> auth_;
  AttentionService service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  absl::Status self_check_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_SERVER_H_
