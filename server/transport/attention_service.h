// The gRPC face of attnserve: AttentionService on the callback API. Each RPC is handed to the
// executor, so gRPC's threads only accept and reply; the executor checks the call's deadline
// and cancellation before computing and finishes the call with the handler's status.
// Holds references to what the server owns; gRPC may call it from any thread.
#ifndef ATTNSERVE_SERVER_TRANSPORT_ATTENTION_SERVICE_H_
#define ATTNSERVE_SERVER_TRANSPORT_ATTENTION_SERVICE_H_

#include "attnserve/v1/attention.grpc.pb.h"
#include "server/engine/executor.h"
#include "server/handlers/request_handlers.h"
#include "server/metrics/service_metrics.h"

namespace attnserve {

class AttentionService final : public v1::AttentionService::CallbackService {
 public:
  AttentionService(const RequestHandlers& handlers, Executor& executor, ServiceMetrics& metrics)
      : handlers_(handlers), executor_(executor), metrics_(metrics) {}

  grpc::ServerUnaryReactor* ComputeAttention(grpc::CallbackServerContext* context,
                                             const v1::AttentionRequest* request,
                                             v1::AttentionResponse* response) override;
  grpc::ServerUnaryReactor* ApplyRotary(grpc::CallbackServerContext* context,
                                        const v1::RotaryRequest* request,
                                        v1::RotaryResponse* response) override;
  grpc::ServerUnaryReactor* GetRotaryTable(grpc::CallbackServerContext* context,
                                           const v1::RotaryTableRequest* request,
                                           v1::RotaryTable* response) override;
  grpc::ServerUnaryReactor* GetAlibiSlopes(grpc::CallbackServerContext* context,
                                           const v1::AlibiRequest* request,
                                           v1::AlibiResponse* response) override;
  grpc::ServerUnaryReactor* GetSinusoidalTable(grpc::CallbackServerContext* context,
                                               const v1::SinusoidalRequest* request,
                                               v1::SinusoidalResponse* response) override;
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::ServerInfoRequest* request,
                                          v1::ServerInfo* response) override;

 private:
  // Runs `handler(request, response)` (returning absl::Status) on the executor and finishes the
  // call with its status, recording the call's queue time and message sizes under `method`.
  template <typename Request, typename Response, typename Handler>
  grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context, const char* method,
                                    const Request* request, Response* response, Handler handler);

  const RequestHandlers& handlers_;
  Executor& executor_;
  ServiceMetrics& metrics_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_TRANSPORT_ATTENTION_SERVICE_H_
