// attnctl health: the standard grpc.health.v1 check, for scripts and readiness probes.
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "client/attnctl/command.h"
#include "client/attnctl/common_flags.h"
#include "client/cpp/attnserve_client.h"

ABSL_FLAG(std::string, service, "",
          "Service to ask about, e.g. attnserve.v1.AttentionService; empty means the server.");

namespace attnserve::attnctl {
namespace {

using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

int RunHealth() {
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return ReportUsageError(options.status().message());
  AttnClient client(*options);
  absl::StatusOr<ServingStatus> status = client.CheckHealth(absl::GetFlag(FLAGS_service));
  if (!status.ok()) {
    // The health protocol answers NOT_FOUND for a service the server does not know.
    if (status.status().code() != absl::StatusCode::kNotFound) {
      return ReportRpcError(status.status());
    }
    status = grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN;
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(*status) << std::endl;
  return *status == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk : kExitNotServing;
}

}  // namespace

Command HealthCommand() {
  return {"health",
          "grpc.health.v1 check; exit 0 only when SERVING",
          "health [--service NAME]",
          "Prints SERVING, NOT_SERVING, SERVICE_UNKNOWN or UNKNOWN; exits 0 only when SERVING,\n"
          "4 otherwise (1 when the server cannot be reached).",
          {"service"},
          &RunHealth};
}

}  // namespace attnserve::attnctl
