// A small synchronous C++ client for attnserve: one method per RPC plus the standard health
// check, each returning the response or the call's status as an absl::Status (same code and
// message as the server sent). Safe to use from several threads at once (gRPC channels and
// stubs are).
#ifndef ATTNSERVE_CLIENT_CPP_ATTNSERVE_CLIENT_H_
#define ATTNSERVE_CLIENT_CPP_ATTNSERVE_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "attnserve/v1/attention.grpc.pb.h"
#include "client/cpp/channel_security.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace attnserve {

struct ClientOptions {
  // host:port, any gRPC target URI (dns:///name:port balances over every address of the name),
  // or several IPv4 ip:port, comma-separated: calls are balanced round-robin and UNAVAILABLE is
  // retried (channel_options.h).
  std::string target = "127.0.0.1:50051";
  absl::Duration timeout = absl::Seconds(60);  // per call
  int64_t max_message_bytes = int64_t{256} << 20;
  ChannelSecurity security = {};  // plaintext, no token by default
};

class AttnClient {
 public:
  explicit AttnClient(const ClientOptions& options);

  absl::StatusOr<v1::AttentionResponse> ComputeAttention(const v1::AttentionRequest& request);
  absl::StatusOr<v1::RotaryResponse> ApplyRotary(const v1::RotaryRequest& request);
  absl::StatusOr<v1::RotaryTable> GetRotaryTable(const v1::RotaryTableRequest& request);
  absl::StatusOr<v1::AlibiResponse> GetAlibiSlopes(const v1::AlibiRequest& request);
  absl::StatusOr<v1::SinusoidalResponse> GetSinusoidalTable(const v1::SinusoidalRequest& request);
  absl::StatusOr<v1::ServerInfo> GetServerInfo();

  // grpc.health.v1 Check; `service` empty asks about the server as a whole.
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> CheckHealth(
      const std::string& service);

 private:
  template <typename Request, typename Response, typename Stub>
  absl::StatusOr<Response> Call(Stub& stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AttentionService::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_CLIENT_CPP_ATTNSERVE_CLIENT_H_
