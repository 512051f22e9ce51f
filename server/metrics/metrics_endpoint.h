// The /metrics HTTP endpoint: prometheus-cpp's Exposer (on civetweb) serving the given
// collectables on host:port. Start turns a bind failure into a Status; destruction is quick
// (civetweb's master thread sleeps in poll() for up to 2 s, so the destructor wakes it with a
// loopback connection). Owned by the server; not thread-safe beyond what Exposer is.
#ifndef ATTNSERVE_SERVER_METRICS_METRICS_ENDPOINT_H_
#define ATTNSERVE_SERVER_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace attnserve {

class MetricsEndpoint {
 public:
  // `port` 0 picks a free port.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& host, int port,
      const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables);

  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const { return port_; }

 private:
  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer, std::string host, int port)
      : exposer_(std::move(exposer)), host_(std::move(host)), port_(port) {}

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string host_;
  int port_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_METRICS_METRICS_ENDPOINT_H_
