#include "server/transport/attention_service.h"

#include <chrono>
#include <string>
#include <utility>

namespace attnserve {
namespace {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

template <typename Handler>
grpc::ServerUnaryReactor* AttentionService::Offload(grpc::CallbackServerContext* context,
                                                    Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  executor_.Submit([context, reactor, handler = std::move(handler)]() mutable {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while queued"));
      return;
    }
    if (context->deadline() <= std::chrono::system_clock::now()) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued"));
      return;
    }
    reactor->Finish(ToGrpcStatus(handler()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* AttentionService::ComputeAttention(grpc::CallbackServerContext* context,
                                                             const v1::AttentionRequest* request,
                                                             v1::AttentionResponse* response) {
  return Offload(context, [this, request, response] {
    return handlers_.ComputeAttention(*request, *response);
  });
}

grpc::ServerUnaryReactor* AttentionService::ApplyRotary(grpc::CallbackServerContext* context,
                                                        const v1::RotaryRequest* request,
                                                        v1::RotaryResponse* response) {
  return Offload(context,
                 [this, request, response] { return handlers_.ApplyRotary(*request, *response); });
}

grpc::ServerUnaryReactor* AttentionService::GetRotaryTable(grpc::CallbackServerContext* context,
                                                           const v1::RotaryTableRequest* request,
                                                           v1::RotaryTable* response) {
  return Offload(
      context, [this, request, response] { return handlers_.GetRotaryTable(*request, *response); });
}

grpc::ServerUnaryReactor* AttentionService::GetAlibiSlopes(grpc::CallbackServerContext* context,
                                                           const v1::AlibiRequest* request,
                                                           v1::AlibiResponse* response) {
  return Offload(
      context, [this, request, response] { return handlers_.GetAlibiSlopes(*request, *response); });
}

grpc::ServerUnaryReactor* AttentionService::GetSinusoidalTable(grpc::CallbackServerContext* context,
                                                               const v1::SinusoidalRequest* request,
                                                               v1::SinusoidalResponse* response) {
  return Offload(context, [this, request, response] {
    return handlers_.GetSinusoidalTable(*request, *response);
  });
}

grpc::ServerUnaryReactor* AttentionService::GetServerInfo(grpc::CallbackServerContext* context,
                                                          const v1::ServerInfoRequest*,
                                                          v1::ServerInfo* response) {
  // Cheap and constant: answered on gRPC's thread, so it works even when the executor is busy.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(handlers_.GetServerInfo(*response)));
  return reactor;
}

}  // namespace attnserve
