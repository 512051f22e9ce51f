#include "server/metrics/metrics_endpoint.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/host_port.h"

namespace attnserve {
namespace {

// Opens and closes one TCP connection to host:port (a wildcard host means this machine).
void Connect(const std::string& host, int port) {
  const std::string target = host == "0.0.0.0" || host.empty() ? "127.0.0.1"
                             : host == "::"                    ? "::1"
                                                               : host;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  if (getaddrinfo(target.c_str(), std::to_string(port).c_str(), &hints, &addresses) != 0) return;
  const int fd = socket(addresses->ai_family, addresses->ai_socktype, addresses->ai_protocol);
  if (fd >= 0) {
    connect(fd, addresses->ai_addr, addresses->ai_addrlen);
    close(fd);
  }
  freeaddrinfo(addresses);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& host, int port,
    const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables) {
  const std::string address = HostPort(host, port);
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& error) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics on ", address, ": ", error.what()));
  }
  for (const auto& collectable : collectables) exposer->RegisterCollectable(collectable);
  const int bound_port = exposer->GetListeningPorts().at(0);
  return std::unique_ptr<MetricsEndpoint>(
      new MetricsEndpoint(std::move(exposer), host, bound_port));
}

MetricsEndpoint::~MetricsEndpoint() {
  std::atomic<bool> stopped = false;
  std::thread stopper([this, &stopped] {
    exposer_.reset();
    stopped = true;
  });
  // Bounded: civetweb would wake by itself within 2 s anyway.
  for (int attempt = 0; attempt < 100 && !stopped; ++attempt) {
    Connect(host_, port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopper.join();
}

}  // namespace attnserve
