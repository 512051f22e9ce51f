#include "client/cpp/attnserve_client.h"

#include "client/cpp/channel_options.h"
#include "grpcpp/create_channel.h"

namespace attnserve {
namespace {

absl::Status ToAbslStatus(const grpc::Status& status) {
  // gRPC and absl share the canonical code numbering.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

AttnClient::AttnClient(const ClientOptions& options) : options_(options) {
  // A target list that ChannelUri refuses goes to gRPC as it is, and every call then fails
  // saying the target is invalid; attnctl checks its --target with ChannelUri first.
  channel_ = grpc::CreateCustomChannel(
      ChannelUri(options.target).value_or(options.target), ChannelCredentialsFor(options.security),
      ChannelArgumentsFor(options.max_message_bytes, options.security));
  stub_ = v1::AttentionService::NewStub(channel_);
  health_stub_ = grpc::health::v1::Health::NewStub(channel_);
}

template <typename Request, typename Response, typename Stub>
absl::StatusOr<Response> AttnClient::Call(Stub& stub,
                                          grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                       const Request&, Response*),
                                          const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  AddAuthToken(options_.security, context);
  Response response;
  const grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

absl::StatusOr<v1::AttentionResponse> AttnClient::ComputeAttention(
    const v1::AttentionRequest& request) {
  return Call(*stub_, &v1::AttentionService::Stub::ComputeAttention, request);
}

absl::StatusOr<v1::RotaryResponse> AttnClient::ApplyRotary(const v1::RotaryRequest& request) {
  return Call(*stub_, &v1::AttentionService::Stub::ApplyRotary, request);
}

absl::StatusOr<v1::RotaryTable> AttnClient::GetRotaryTable(const v1::RotaryTableRequest& request) {
  return Call(*stub_, &v1::AttentionService::Stub::GetRotaryTable, request);
}

absl::StatusOr<v1::AlibiResponse> AttnClient::GetAlibiSlopes(const v1::AlibiRequest& request) {
  return Call(*stub_, &v1::AttentionService::Stub::GetAlibiSlopes, request);
}

absl::StatusOr<v1::SinusoidalResponse> AttnClient::GetSinusoidalTable(
    const v1::SinusoidalRequest& request) {
  return Call(*stub_, &v1::AttentionService::Stub::GetSinusoidalTable, request);
}

absl::StatusOr<v1::ServerInfo> AttnClient::GetServerInfo() {
  return Call(*stub_, &v1::AttentionService::Stub::GetServerInfo, v1::ServerInfoRequest());
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> AttnClient::CheckHealth(
    const std::string& service) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> response =
      Call(*health_stub_, &grpc::health::v1::Health::Stub::Check, request);
  if (!response.ok()) return response.status();
  return response->status();
}

}  // namespace attnserve
