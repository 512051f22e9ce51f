#include "client/cpp/channel_options.h"

#include <arpa/inet.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpc/grpc.h"

namespace attnserve {
namespace {

// round_robin skips a replica whose health (watched on grpc.health.v1) is not SERVING: one
// that is draining, or failed its start-up self-check. Retries: up to 4 attempts, 50 ms then
// 100, 200 ms apart (with gRPC's jitter), long enough for the channel to notice a replica is
// gone and pick another one.
constexpr char kServiceConfig[] = R"json({
  "loadBalancingConfig": [{"round_robin": {}}],
  "healthCheckConfig": {"serviceName": "attnserve.v1.AttentionService"},
  "methodConfig": [{
    "name": [{"service": "attnserve.v1.AttentionService"}, {"service": "grpc.health.v1.Health"}],
    "retryPolicy": {
      "maxAttempts": 4,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
})json";

bool IsIpv4HostPort(const std::string& target) {
  const size_t colon = target.rfind(':');
  in_addr address;
  return colon != std::string::npos &&
         inet_pton(AF_INET, target.substr(0, colon).c_str(), &address) == 1;
}

}  // namespace

absl::StatusOr<std::string> ChannelUri(const std::string& targets) {
  const std::vector<std::string> parts = absl::StrSplit(targets, ',');
  if (parts.size() == 1) return targets;
  for (const std::string& target : parts) {
    if (!IsIpv4HostPort(target)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--target: with several targets each must be an IPv4 ip:port, not '", target,
                       "' (for host names use one dns:/// name that resolves to every replica)"));
    }
  }
  return absl::StrCat("ipv4:", absl::StrJoin(parts, ","));
}

grpc::ChannelArguments ChannelArgumentsFor(int64_t max_message_bytes,
                                           const ChannelSecurity& security) {
  grpc::ChannelArguments arguments;
  const int max_bytes =
      static_cast<int>(std::min<int64_t>(max_message_bytes, std::numeric_limits<int>::max()));
  arguments.SetMaxReceiveMessageSize(max_bytes);
  arguments.SetMaxSendMessageSize(max_bytes);
  arguments.SetServiceConfigJSON(kServiceConfig);
  // gRPC keeps a call's request for a retry only up to this size (256 KiB by default), and
  // attention requests are megabytes. The buffer lives only until the call commits.
  arguments.SetInt(GRPC_ARG_PER_RPC_RETRY_BUFFER_SIZE, max_bytes);
  if (security.tls && !security.server_name.empty()) {
    arguments.SetSslTargetNameOverride(security.server_name);
  }
  return arguments;
}

}  // namespace attnserve
