#include "server/server.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "kernels/cpu/cpu_backend.h"
#if defined(ATTNSERVE_WITH_CUDA)
#include "kernels/cuda/cuda_backend.h"
#endif
#include "kernels/reference/reference_attention.h"
#include "server/engine/self_check.h"
#include "server/host_port.h"
#include "server/logging.h"
#include "server/metrics/metrics_interceptor.h"

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
  if (config.metrics_port < -1 || config.metrics_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics_port=", config.metrics_port,
                                                   " must be in [-1, 65535] (0 off, -1 any free)"));
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
  for (const auto& [flag, value] :
       {std::pair{"--max_tensor_elements", config.limits.max_tensor_elements},
        std::pair{"--max_attention_work", config.limits.max_attention_work},
        std::pair{"--max_inflight_requests", int64_t{config.admission.max_inflight_requests}},
        std::pair{"--max_queued_requests", int64_t{config.admission.max_queued_requests}}}) {
    if (value < 1)
      return absl::InvalidArgumentError(absl::StrCat(flag, "=", value, " must be >= 1"));
  }
  if (config.limits.max_probability_elements < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_probability_elements=", config.limits.max_probability_elements, " must be >= 0"));
  }
  return absl::OkStatus();
}

std::string BackendNames(const BackendRegistry& backends) {
  return absl::StrJoin(backends.descriptions(), ",",
                       [](std::string* out, const BackendDescription& d) { out->append(d.name); });
}

std::vector<std::string> MethodsOf(const std::string& service_name) {
  std::vector<std::string> methods;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  for (int m = 0; service != nullptr && m < service->method_count(); ++m) {
    methods.push_back(service->method(m)->name());
  }
  return methods;
}

}  // namespace

Server::Server(const ServerConfig& config, BackendRegistry backends,
               std::optional<BearerTokenAuth> auth, std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      process_collector_(std::make_shared<ProcessCollector>()),
      grpc_metrics_(*registry_),
      service_metrics_(*registry_, ATTNSERVE_VERSION, BackendNames(backends),
                       config.compute_threads),
      executor_(config.compute_threads),
      backends_(std::move(backends)),
      handlers_(backends_, config.limits,
                {ATTNSERVE_VERSION, config.compute_threads, config.admission.max_inflight_requests,
                 config.admission.max_queued_requests},
                service_metrics_),
      auth_(std::move(auth)),
      service_(handlers_, executor_, service_metrics_, config.admission,
               auth_ ? &*auth_ : nullptr) {
  grpc_metrics_.Initialize(kServiceName, MethodsOf(kServiceName));
}

absl::Status Server::StartMetricsEndpoint(const ServerConfig& config) {
  if (config.metrics_port == 0) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start(config.metrics_host.empty() ? config.host : config.metrics_host,
                             std::max(config.metrics_port, 0), {registry_, process_collector_});
  if (!endpoint.ok()) return endpoint.status();
  metrics_endpoint_ = std::move(*endpoint);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerConfig& config, std::shared_ptr<prometheus::Registry> registry) {
  if (absl::Status status = ValidateConfig(config); !status.ok()) return status;
  absl::StatusOr<std::optional<TlsPem>> tls = LoadTls(config.tls);
  if (!tls.ok()) return tls.status();
  std::optional<BearerTokenAuth> auth;
  if (!config.auth_token_file.empty()) {
    absl::StatusOr<BearerTokenAuth> loaded = BearerTokenAuth::FromFile(config.auth_token_file);
    if (!loaded.ok()) return loaded.status();
    auth = *std::move(loaded);
  }
  std::vector<std::unique_ptr<Backend>> backends;
  auto cpu = std::make_unique<CpuBackend>(config.compute_threads);
  std::string default_backend = config.default_backend == "auto" ? "cpu" : config.default_backend;
#if defined(ATTNSERVE_WITH_CUDA)
  // The cpu backend takes the cuda backend's requests when it has no device.
  auto gpu =
      std::make_unique<cuda::CudaBackend>(cuda::CudaBackendOptions{config.cuda_device}, cpu.get());
  if (config.default_backend == "auto" && gpu->unavailable_reason().empty()) {
    default_backend = "cuda";
  }
  backends.push_back(std::move(cpu));
  backends.push_back(std::move(gpu));
#else
  backends.push_back(std::move(cpu));
#endif
  backends.push_back(std::make_unique<ReferenceBackend>());
  absl::StatusOr<BackendRegistry> registered =
      BackendRegistry::Create(std::move(backends), default_backend);
  if (!registered.ok()) return registered.status();

  std::unique_ptr<Server> server(
      new Server(config, std::move(*registered), std::move(auth), std::move(registry)));
  server->self_check_ = CheckBackendsCompute(server->backends_);
  if (!server->self_check_.ok()) LogError(server->self_check_.message());
  if (absl::Status status = server->StartMetricsEndpoint(config); !status.ok()) return status;

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = HostPort(config.host, config.port);
  builder.AddListeningPort(address, ServerCredentialsFor(*tls), &server->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.limits.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.limits.max_message_bytes));
  builder.RegisterService(&server->service_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(
      server->grpc_metrics_, std::vector<std::string>{kServiceName, "grpc.health.v1.Health",
                                                      "grpc.reflection.v1alpha.ServerReflection"}));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", address, *tls ? " (are --tls_cert and --tls_key a pair?)" : ""));
  }
  // The default health service starts out SERVING for ""; it may only say so once the
  // backends proved they compute.
  grpc::HealthCheckServiceInterface* health = server->grpc_server_->GetHealthCheckService();
  health->SetServingStatus(kServiceName, server->self_check_.ok());
  health->SetServingStatus(server->self_check_.ok());  // every service, "" included
  return server;
}

void Server::Shutdown(absl::Duration grace) {
  if (shut_down_ || grpc_server_ == nullptr) return;
  shut_down_ = true;
  grpc_server_->GetHealthCheckService()->Shutdown();  // every service NOT_SERVING, for good
  // Lame duck first: while accepted calls finish, new ones get a clean UNAVAILABLE from the
  // service (clients retry elsewhere), and clients that watch health (attnserve's do, through
  // round_robin's health checking) stop sending here. It lasts at least kLameDuckMinimum, so
  // that they hear NOT_SERVING even when nothing is in flight. gRPC's own shutdown comes
  // after: calls it finds not yet started it ends with CANCELLED, which retry policies do not
  // retry (a scale-out test saw one in ~2000 without the minimum).
  constexpr absl::Duration kLameDuckMinimum = absl::Milliseconds(250);
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + grace;
  service_.StartDraining();
  service_.AwaitIdle(deadline);
  absl::SleepFor(std::min(start + kLameDuckMinimum, deadline) - absl::Now());
  grpc_server_->Shutdown(absl::ToChronoTime(deadline));
  grpc_server_->Wait();
  metrics_endpoint_.reset();  // after the drain, so the last calls can still be scraped
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

}  // namespace attnserve
