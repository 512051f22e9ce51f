// An attnserve server: executor, backends, handlers and the gRPC server with health and
// reflection, assembled from one ServerConfig and owned together for the process's lifetime.
// Start and Shutdown are called from the main thread.
#ifndef ATTNSERVE_SERVER_SERVER_H_
#define ATTNSERVE_SERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "server/decode/request_limits.h"
#include "server/engine/backend_registry.h"
#include "server/engine/executor.h"
#include "server/handlers/request_handlers.h"
#include "server/transport/attention_service.h"

namespace attnserve {

struct ServerConfig {
  std::string host = "0.0.0.0";
  int port = 50051;  // 0 picks a free port
  int compute_threads = 1;
  RequestLimits limits;
  std::string default_backend = "cpu";
};

class Server {
 public:
  // Binds and starts serving; fails with a message when the config is unusable or the address
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerConfig& config);

  ~Server();

  int port() const { return port_; }

  // Health goes NOT_SERVING, new calls are refused, in-flight calls get until `grace` to
  // finish (then they are cancelled). Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  Server(int compute_threads, BackendRegistry backends, RequestLimits limits);

  // Destruction runs bottom-up: the gRPC server stops before what its calls use goes away.
  Executor executor_;
  BackendRegistry backends_;
  RequestHandlers handlers_;
  AttentionService service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_SERVER_H_
