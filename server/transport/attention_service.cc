#include "server/transport/attention_service.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace attnserve {
namespace {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// Why the call's client is gone, as the status to finish with (Go's ctx.Err() convention: a
// passed deadline first), or nullopt while it is still waiting. `stage`: "queued", "computing".
std::optional<grpc::Status> ClientGone(const grpc::CallbackServerContext& context,
                                       absl::string_view stage) {
  if (context.deadline() <= std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        absl::StrCat("deadline passed while ", stage));
  }
  if (context.IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, absl::StrCat("cancelled while ", stage));
  }
  return std::nullopt;
}

}  // namespace

absl::Status AttentionService::Authenticate(const grpc::CallbackServerContext& context) const {
  if (auth_ == nullptr) return absl::OkStatus();
  return auth_->Check(context.client_metadata());
}

namespace {

absl::Status ShuttingDown() { return absl::UnavailableError("server is shutting down"); }

}  // namespace

void AttentionService::StartDraining() {
  absl::MutexLock lock(&admission_mutex_);
  draining_ = true;
}

bool AttentionService::AwaitIdle(absl::Time deadline) {
  absl::MutexLock lock(&admission_mutex_);
  return admission_mutex_.AwaitWithDeadline(
      absl::Condition(
          +[](int* inflight) { return *inflight == 0; }, &inflight_),
      deadline);
}

absl::Status AttentionService::Admit() {
  absl::MutexLock lock(&admission_mutex_);
  if (draining_) return ShuttingDown();
  if (inflight_ >= limits_.max_inflight_requests) {
    return absl::ResourceExhaustedError(
        absl::StrCat("server busy: ", inflight_,
                     " calls in flight, at max_inflight_requests=", limits_.max_inflight_requests));
  }
  if (queued_ >= limits_.max_queued_requests) {
    return absl::ResourceExhaustedError(absl::StrCat("server busy: ", queued_,
                                                     " calls wait for a compute thread, at "
                                                     "max_queued_requests=",
                                                     limits_.max_queued_requests));
  }
  ++inflight_;
  ++queued_;
  metrics_.SetCallLoad(inflight_, queued_);
  return absl::OkStatus();
}

template <typename Request, typename Response, typename Handler>
grpc::ServerUnaryReactor* AttentionService::Offload(grpc::CallbackServerContext* context,
                                                    const char* method, const Request* request,
                                                    Response* response, Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status authenticated = Authenticate(*context); !authenticated.ok()) {
    reactor->Finish(ToGrpcStatus(authenticated));
    return reactor;
  }
  if (absl::Status admitted = Admit(); !admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));  // refused before anything was accepted
    return reactor;
  }
  const auto accepted = std::chrono::steady_clock::now();
  executor_.Submit([this, context, reactor, method, request, response, handler, accepted] {
    {
      absl::MutexLock lock(&admission_mutex_);
      --queued_;
      metrics_.SetCallLoad(inflight_, queued_);
    }
    metrics_.CallStarted(
        method, std::chrono::duration<double>(std::chrono::steady_clock::now() - accepted).count());
    grpc::Status status;
    if (std::optional<grpc::Status> gone = ClientGone(*context, "queued")) {
      status = *gone;
    } else {
      const StopCheck client_gone = [context] {
        return ClientGone(*context, "computing").has_value();
      };
      status = ToGrpcStatus(handler(*request, *response, client_gone));
      // When the client is gone, say why rather than what was computed for nobody.
      if (std::optional<grpc::Status> gone = ClientGone(*context, "computing")) status = *gone;
    }
    // Sizes are read before Finish: the response belongs to gRPC after it. A failed call sends
    // no response message, so it has no response size.
    metrics_.CallFinished(
        method, static_cast<double>(request->ByteSizeLong()),
        status.ok() ? std::optional<double>(response->ByteSizeLong()) : std::nullopt);
    {
      absl::MutexLock lock(&admission_mutex_);
      --inflight_;
      metrics_.SetCallLoad(inflight_, queued_);
    }
    reactor->Finish(status);
  });
  return reactor;
}

grpc::ServerUnaryReactor* AttentionService::ComputeAttention(grpc::CallbackServerContext* context,
                                                             const v1::AttentionRequest* request,
                                                             v1::AttentionResponse* response) {
  return Offload(context, "ComputeAttention", request, response,
                 [this](const auto& in, auto& out, const StopCheck& should_stop) {
                   return handlers_.ComputeAttention(in, out, should_stop);
                 });
}

grpc::ServerUnaryReactor* AttentionService::ApplyRotary(grpc::CallbackServerContext* context,
                                                        const v1::RotaryRequest* request,
                                                        v1::RotaryResponse* response) {
  return Offload(context, "ApplyRotary", request, response,
                 [this](const auto& in, auto& out, const StopCheck&) {
                   return handlers_.ApplyRotary(in, out);
                 });
}

grpc::ServerUnaryReactor* AttentionService::GetRotaryTable(grpc::CallbackServerContext* context,
                                                           const v1::RotaryTableRequest* request,
                                                           v1::RotaryTable* response) {
  return Offload(context, "GetRotaryTable", request, response,
                 [this](const auto& in, auto& out, const StopCheck&) {
                   return handlers_.GetRotaryTable(in, out);
                 });
}

grpc::ServerUnaryReactor* AttentionService::GetAlibiSlopes(grpc::CallbackServerContext* context,
                                                           const v1::AlibiRequest* request,
                                                           v1::AlibiResponse* response) {
  return Offload(context, "GetAlibiSlopes", request, response,
                 [this](const auto& in, auto& out, const StopCheck&) {
                   return handlers_.GetAlibiSlopes(in, out);
                 });
}

grpc::ServerUnaryReactor* AttentionService::GetSinusoidalTable(grpc::CallbackServerContext* context,
                                                               const v1::SinusoidalRequest* request,
                                                               v1::SinusoidalResponse* response) {
  return Offload(context, "GetSinusoidalTable", request, response,
                 [this](const auto& in, auto& out, const StopCheck&) {
                   return handlers_.GetSinusoidalTable(in, out);
                 });
}

grpc::ServerUnaryReactor* AttentionService::GetServerInfo(grpc::CallbackServerContext* context,
                                                          const v1::ServerInfoRequest*,
                                                          v1::ServerInfo* response) {
  // Cheap and constant: answered on gRPC's thread, so it works even when the executor is busy.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = Authenticate(*context);
  if (status.ok()) {
    absl::MutexLock lock(&admission_mutex_);
    if (draining_) status = ShuttingDown();
  }
  if (status.ok()) status = handlers_.GetServerInfo(*response);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace attnserve
