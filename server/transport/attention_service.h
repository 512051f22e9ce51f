// The gRPC face of attnserve: AttentionService on the callback API. With a BearerTokenAuth, a
// call without a valid token is refused (UNAUTHENTICATED) before anything else. A call is admitted
// only while the server has room (max in-flight and queued calls; else RESOURCE_EXHAUSTED), then
// handed to the executor, so gRPC's threads only accept and reply. The executor drops a call
// whose client left or whose deadline passed while it was queued, and lets the computation poll
// for the same while it runs. Holds references to what the server owns; gRPC may call it from
// any thread.
#ifndef ATTNSERVE_SERVER_TRANSPORT_ATTENTION_SERVICE_H_
#define ATTNSERVE_SERVER_TRANSPORT_ATTENTION_SERVICE_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "attnserve/v1/attention.grpc.pb.h"
#include "server/engine/executor.h"
#include "server/handlers/request_handlers.h"
#include "server/metrics/service_metrics.h"
#include "server/security/bearer_token_auth.h"

namespace attnserve {

struct AdmissionLimits {
  int max_inflight_requests = 256;  // accepted and not finished, queued ones included
  int max_queued_requests = 128;    // waiting for a compute thread
};

class AttentionService final : public v1::AttentionService::CallbackService {
 public:
  // `auth` null: every call is let in.
  AttentionService(const RequestHandlers& handlers, Executor& executor, ServiceMetrics& metrics,
                   AdmissionLimits limits, const BearerTokenAuth* auth)
      : handlers_(handlers), executor_(executor), metrics_(metrics), limits_(limits), auth_(auth) {}

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

  // From now on every new call is refused with UNAVAILABLE (the server is going away; a client
  // retries elsewhere); calls already accepted go on. Idempotent.
  void StartDraining();

  // Waits until no accepted call is left or `deadline` passes; whether none is left.
  bool AwaitIdle(absl::Time deadline);

 private:
  // Admits the call and runs `handler(request, response, should_stop)` (returning
  // absl::Status) on the executor, finishing the call with its status and recording its queue
  // time and message sizes under `method`.
  template <typename Request, typename Response, typename Handler>
  grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context, const char* method,
                                    const Request* request, Response* response, Handler handler);

  // OK when there is no auth or the call carries a valid token.
  absl::Status Authenticate(const grpc::CallbackServerContext& context) const;

  // Counts a new call in, or says why not: draining, or which limit refuses it.
  absl::Status Admit();

  const RequestHandlers& handlers_;
  Executor& executor_;
  ServiceMetrics& metrics_;
  const AdmissionLimits limits_;
  const BearerTokenAuth* const auth_;
  absl::Mutex admission_mutex_;
  int inflight_ ABSL_GUARDED_BY(admission_mutex_) = 0;
  int queued_ ABSL_GUARDED_BY(admission_mutex_) = 0;
  bool draining_ ABSL_GUARDED_BY(admission_mutex_) = false;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_TRANSPORT_ATTENTION_SERVICE_H_
