// How attnserve's C++ clients (AttnClient, attnctl bench) build a channel: to one server or
// several, balanced call by call with gRPC's round_robin over every address the target
// resolves to (a "dns:///" name with one record per replica, e.g. a Kubernetes headless
// Service, or a comma-separated list of IPv4 ip:port), and retrying UNAVAILABLE, which a
// replica that is draining or gone answers: every attnserve RPC is a pure function, so a call
// may safely run twice. Stateless functions.
#ifndef ATTNSERVE_CLIENT_CPP_CHANNEL_OPTIONS_H_
#define ATTNSERVE_CLIENT_CPP_CHANNEL_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "client/cpp/channel_security.h"
#include "grpcpp/support/channel_arguments.h"

namespace attnserve {

// The gRPC target URI for `targets`: one target as it is (host:port or any URI), several
// comma-separated IPv4 ip:port as one "ipv4:" URI. Fails when a list holds anything else.
absl::StatusOr<std::string> ChannelUri(const std::string& targets);

// Message size limits, round_robin, the retry policy, the buffer that lets large requests be
// retried, and the TLS server-name override of `security`.
grpc::ChannelArguments ChannelArgumentsFor(int64_t max_message_bytes,
                                           const ChannelSecurity& security);

}  // namespace attnserve

#endif  // ATTNSERVE_CLIENT_CPP_CHANNEL_OPTIONS_H_
