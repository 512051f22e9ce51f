// Sends a Workload to attnserve at one load level and measures what comes back: closed loop
// (a fixed number of calls always in flight) or open loop (a constant arrival schedule; a
// call's latency counts from its scheduled send time, so queueing in the client is not hidden).
// Calls use gRPC's callback API, spread round-robin over several channels. One level at a time;
// Run is not reentrant.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_BENCH_LOAD_GENERATOR_H_
#define ATTNSERVE_CLIENT_ATTNCTL_BENCH_LOAD_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "attnserve/v1/attention.grpc.pb.h"
#include "client/attnctl/bench/latency_histogram.h"
#include "client/attnctl/bench/workload.h"
#include "client/cpp/channel_security.h"

namespace attnserve::attnctl {

struct LevelConfig {
  int concurrency = 1;         // closed loop: calls in flight; open loop: the most in flight
  std::optional<double> rate;  // requests/s: open loop; nullopt: closed loop
  absl::Duration warmup = absl::ZeroDuration();
  absl::Duration duration = absl::Seconds(10);  // ignored when max_requests > 0
  int64_t max_requests = 0;                     // stop after this many measured calls
  absl::Duration call_timeout = absl::Seconds(60);
  int verify_every = 0;  // verify one measured response in this many; 0: none
};

struct LevelResult {
  int concurrency = 0;
  std::optional<double> rate;
  // The measured window: --duration in closed loop; with --requests or in open loop, until its
  // last call completed, so requests / seconds is the achieved rate.
  double seconds = 0;
  int64_t requests = 0;
  int64_t ok = 0;
  int64_t unsent = 0;  // open loop: scheduled calls the client could not send in the window
  std::map<std::string, int64_t> errors;  // by status code name
  double query_tokens = 0;
  double flops = 0;
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  LatencyHistogram latency;  // successful calls only
  int64_t verified = 0;
  int64_t mismatches = 0;

  // Adds `other`'s calls and time (for combining measurement windows).
  void Merge(const LevelResult& other);
};

// Called about twice a second during a level with the measured calls so far and elapsed time.
using ProgressCallback = std::function<void(int64_t requests, double seconds)>;

// Holds `workload` by reference: it must outlive the generator.
class LoadGenerator {
 public:
  // `target`: one server or a replica set, as ChannelUri takes it (channel_options.h), balanced
  // round-robin. `connections` channels, each its own HTTP/2 connection per address, secured by
  // `security`.
  static absl::StatusOr<std::unique_ptr<LoadGenerator>> Create(const std::string& target,
                                                               int connections,
                                                               const ChannelSecurity& security,
                                                               const Workload& workload,
                                                               uint64_t seed);

  // Waits (up to `timeout`) until every channel is connected.
  absl::Status WaitUntilConnected(absl::Duration timeout);

  LevelResult Run(const LevelConfig& config, const ProgressCallback& progress);

 private:
  LoadGenerator(std::vector<std::shared_ptr<grpc::Channel>> channels, ChannelSecurity security,
                const Workload& workload, uint64_t seed);

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::AttentionService::Stub>> stubs_;
  const ChannelSecurity security_;
  const Workload& workload_;
  uint64_t seed_;
};

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_BENCH_LOAD_GENERATOR_H_
