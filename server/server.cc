#include "server/server.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/reference/reference_attention.h"

#ifndef ATTNSERVE_VERSION
#error "ATTNSERVE_VERSION must be defined by the build"
#endif

namespace attnserve {
namespace {

constexpr char kServiceName[] = "attnserve.v1.AttentionService";

absl::Status ValidateConfig(const ServerConfig& config) {
  if (config.port < 0 || config.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--port=", config.port, " must be in [0, 65535]"));
  }
  if (config.compute_threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads=", config.compute_threads, " must be >= 1"));
  }
  constexpr int64_t kMaxGrpcMessage = std::numeric_limits<int>::max();
  if (config.limits.max_message_bytes < 1024 || config.limits.max_message_bytes > kMaxGrpcMessage) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_message_bytes=", config.limits.max_message_bytes, " must be in [1024, ",
                     kMaxGrpcMessage, "]"));
  }
  if (config.limits.max_probability_elements < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_probability_elements=", config.limits.max_probability_elements, " must be >= 0"));
  }
  return absl::OkStatus();
}

std::string HostPort(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return ipv6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

}  // namespace

Server::Server(int compute_threads, BackendRegistry backends, RequestLimits limits)
    : executor_(compute_threads),
      backends_(std::move(backends)),
      handlers_(backends_, limits, {ATTNSERVE_VERSION, compute_threads}),
      service_(handlers_, executor_) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerConfig& config) {
  if (absl::Status status = ValidateConfig(config); !status.ok()) return status;
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::make_unique<CpuBackend>());
  backends.push_back(std::make_unique<ReferenceBackend>());
  absl::StatusOr<BackendRegistry> registry =
      BackendRegistry::Create(std::move(backends), config.default_backend);
  if (!registry.ok()) return registry.status();

  std::unique_ptr<Server> server(
      new Server(config.compute_threads, std::move(*registry), config.limits));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = HostPort(config.host, config.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.limits.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.limits.max_message_bytes));
  builder.RegisterService(&server->service_);
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  server->grpc_server_->GetHealthCheckService()->SetServingStatus(kServiceName, true);
  return server;
}

void Server::Shutdown(absl::Duration grace) {
  if (shut_down_ || grpc_server_ == nullptr) return;
  shut_down_ = true;
  grpc_server_->GetHealthCheckService()->Shutdown();  // every service NOT_SERVING, for good
  grpc_server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  grpc_server_->Wait();
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

}  // namespace attnserve
