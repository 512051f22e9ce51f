#include "client/attnctl/bench/load_generator.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/cpp/channel_options.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace attnserve::attnctl {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The state of one level. A call is measured when it was sent (closed loop) or scheduled (open
// loop) inside the measured window, decided together with the decision to send it; it is then
// recorded whenever it completes, so a window's count is exactly what it sent and the server's
// metrics agree with it.
class LevelRun {
 public:
  LevelRun(const LevelConfig& config,
           const std::vector<std::unique_ptr<v1::AttentionService::Stub>>& stubs,
           const ChannelSecurity& security, const Workload& workload, uint64_t seed)
      : config_(config), stubs_(stubs), security_(security), workload_(workload), generator_(seed) {
    result_.concurrency = config.concurrency;
    result_.rate = config.rate;
  }

  LevelResult Execute(const ProgressCallback& progress) {
    const Clock::time_point start = Clock::now();
    const Clock::time_point measure_from = start + absl::ToChronoNanoseconds(config_.warmup);
    if (config_.rate) {
      RunOpenLoop(start, measure_from, progress);
    } else {
      RunClosedLoop(measure_from, progress);
    }
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(
        +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
    // Open loop and --requests: the window lasts until its last call completed, so the rate is
    // what the server achieved, not what was offered.
    if (config_.rate || config_.max_requests > 0) {
      result_.seconds = SecondsBetween(measure_start_, std::max(last_completion_, measure_start_));
    }
    return std::move(result_);
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::AttentionResponse response;
    const RequestKind* kind = nullptr;
    Clock::time_point start;  // sent (closed loop) or scheduled (open loop)
    bool measured = false;
  };

  Clock::time_point WindowEnd() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return measure_start_ + absl::ToChronoNanoseconds(config_.duration);
  }

  // Whether the window still takes calls: --requests not yet all sent, --duration not over.
  bool WindowOpen(Clock::time_point now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (config_.max_requests > 0) return sent_measured_ < config_.max_requests;
    return now < WindowEnd();
  }

  void StartMeasuringIfDue(Clock::time_point now, Clock::time_point measure_from)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (!measuring_ && now >= measure_from) {
      measuring_ = true;
      measure_start_ = now;
    }
  }

  // The closed loop's decision to send one more call now: nullopt when it must not, else
  // whether the call is measured (counted here, so concurrent decisions cannot overshoot).
  std::optional<bool> ReserveClosedLoopCall(Clock::time_point now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (stopping_) return std::nullopt;
    if (!measuring_) return false;  // warmup
    if (!WindowOpen(now)) return std::nullopt;
    ++sent_measured_;
    return true;
  }

  // Progress goes out without the lock held: it writes to a terminal.
  void MaybeReportProgress(const ProgressCallback& progress) {
    if (!progress) return;
    int64_t requests;
    double seconds;
    {
      absl::MutexLock lock(&mutex_);
      const Clock::time_point now = Clock::now();
      if (!measuring_ || now - last_progress_ < std::chrono::milliseconds(500)) return;
      last_progress_ = now;
      requests = result_.requests;
      seconds = SecondsBetween(measure_start_, now);
    }
    progress(requests, seconds);
  }

  void RunClosedLoop(Clock::time_point measure_from, const ProgressCallback& progress) {
    // Every 20 ms: start measuring when due, refill the slots of failed calls (a failure
    // waits for this tick instead of retrying at once), close the window when it is over.
    while (true) {
      std::vector<bool> to_send;
      {
        absl::MutexLock lock(&mutex_);
        const Clock::time_point now = Clock::now();
        StartMeasuringIfDue(now, measure_from);
        if (measuring_ && !WindowOpen(now)) {
          stopping_ = true;
          if (config_.max_requests == 0) result_.seconds = absl::ToDoubleSeconds(config_.duration);
          return;
        }
        while (in_flight_ < config_.concurrency) {
          const std::optional<bool> measured = ReserveClosedLoopCall(now);
          if (!measured) break;
          ++in_flight_;
          to_send.push_back(*measured);
        }
      }
      for (bool measured : to_send) Issue(Clock::now(), measured);
      MaybeReportProgress(progress);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void RunOpenLoop(Clock::time_point start, Clock::time_point measure_from,
                   const ProgressCallback& progress) {
    const double interval_s = 1.0 / *config_.rate;
    for (int64_t k = 0;; ++k) {
      const Clock::time_point scheduled =
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(k) * interval_s));
      bool measured = false;
      {
        absl::MutexLock lock(&mutex_);
        StartMeasuringIfDue(scheduled, measure_from);
        if (measuring_ && !WindowOpen(scheduled)) break;
        // A client that fell so far behind that the window ended stops: the calls it could
        // not send are reported, not sent late.
        if (measuring_ && config_.max_requests == 0 && Clock::now() >= WindowEnd()) {
          result_.unsent =
              static_cast<int64_t>(std::ceil(SecondsBetween(scheduled, WindowEnd()) / interval_s));
          break;
        }
        measured = measuring_;
        if (measured) ++sent_measured_;
      }
      std::this_thread::sleep_until(scheduled);
      {
        absl::MutexLock lock(&mutex_);
        // At most `concurrency` in flight; a call that waits here still counts from `scheduled`.
        mutex_.Await(absl::Condition(
            +[](LevelRun* run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(run->mutex_) {
              return run->in_flight_ < run->config_.concurrency;
            },
            this));
        ++in_flight_;
      }
      Issue(scheduled, measured);
      MaybeReportProgress(progress);
    }
  }

  // Sends one call, already counted in in_flight_ (and, if measured, in sent_measured_).
  void Issue(Clock::time_point start, bool measured) {
    auto* call = new Call;
    size_t stub_index;
    {
      absl::MutexLock lock(&mutex_);
      call->kind = &workload_.Pick(generator_);
      stub_index = next_stub_++ % stubs_.size();
    }
    call->start = start;
    call->measured = measured;
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoNanoseconds(config_.call_timeout));
    AddAuthToken(security_, call->context);
    stubs_[stub_index]->async()->ComputeAttention(
        &call->context, &call->kind->request, &call->response,
        [this, call](grpc::Status status) { OnDone(call, status); });
  }

  void OnDone(Call* call, const grpc::Status& status) {
    const Clock::time_point done = Clock::now();
    std::optional<double> verify_error;
    if (call->measured && status.ok() && config_.verify_every > 0 &&
        verify_counter_.fetch_add(1) % config_.verify_every == 0) {
      verify_error = OutputError(*call->kind, call->response);
    }
    std::optional<bool> next_measured;
    {
      absl::MutexLock lock(&mutex_);
      if (call->measured) {
        Record(*call, status, done, verify_error);
        last_completion_ = std::max(last_completion_, done);
      }
      // The closed loop keeps `concurrency` calls going; a failed call's slot is refilled by
      // RunClosedLoop's next tick.
      if (!config_.rate && status.ok()) next_measured = ReserveClosedLoopCall(done);
      if (!next_measured) --in_flight_;
    }
    delete call;
    if (next_measured) Issue(Clock::now(), *next_measured);  // takes over this call's slot
  }

  void Record(const Call& call, const grpc::Status& status, Clock::time_point done,
              std::optional<double> verify_error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    ++result_.requests;
    result_.bytes_sent += call.kind->request_bytes;
    if (!status.ok()) {
      ++result_
            .errors[absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))];
      return;
    }
    ++result_.ok;
    // Latency of successful calls only: fast failures would flatter the percentiles.
    result_.latency.Record(std::chrono::nanoseconds(done - call.start).count());
    result_.query_tokens += call.kind->query_tokens;
    result_.flops += call.kind->flops;
    result_.bytes_received += static_cast<int64_t>(call.response.ByteSizeLong());
    if (verify_error) {
      ++result_.verified;
      if (!(*verify_error <= call.kind->tolerance)) ++result_.mismatches;
    }
  }

  const LevelConfig& config_;
  const std::vector<std::unique_ptr<v1::AttentionService::Stub>>& stubs_;
  const ChannelSecurity& security_;
  const Workload& workload_;
  std::atomic<int64_t> verify_counter_ = 0;

  absl::Mutex mutex_;
  std::mt19937_64 generator_ ABSL_GUARDED_BY(mutex_);
  size_t next_stub_ ABSL_GUARDED_BY(mutex_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  bool measuring_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t sent_measured_ ABSL_GUARDED_BY(mutex_) = 0;
  Clock::time_point measure_start_ ABSL_GUARDED_BY(mutex_);
  Clock::time_point last_completion_ ABSL_GUARDED_BY(mutex_);
  Clock::time_point last_progress_ ABSL_GUARDED_BY(mutex_);
  LevelResult result_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace

void LevelResult::Merge(const LevelResult& other) {
  seconds += other.seconds;
  requests += other.requests;
  ok += other.ok;
  unsent += other.unsent;
  for (const auto& [code, count] : other.errors) errors[code] += count;
  query_tokens += other.query_tokens;
  flops += other.flops;
  bytes_sent += other.bytes_sent;
  bytes_received += other.bytes_received;
  latency.Merge(other.latency);
  verified += other.verified;
  mismatches += other.mismatches;
}

absl::StatusOr<std::unique_ptr<LoadGenerator>> LoadGenerator::Create(
    const std::string& target, int connections, const ChannelSecurity& security,
    const Workload& workload, uint64_t seed) {
  if (target.empty()) return absl::InvalidArgumentError("--target is empty");
  if (connections < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--connections=", connections, " must be >= 1"));
  }
  absl::StatusOr<std::string> uri = ChannelUri(target);
  if (!uri.ok()) return uri.status();
  grpc::ChannelArguments arguments = ChannelArgumentsFor(std::numeric_limits<int>::max(), security);
  // Each channel gets its own connections, so --connections means what it says.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < connections; ++c) {
    channels.push_back(grpc::CreateCustomChannel(*uri, ChannelCredentialsFor(security), arguments));
  }
  return std::unique_ptr<LoadGenerator>(
      new LoadGenerator(std::move(channels), security, workload, seed));
}

LoadGenerator::LoadGenerator(std::vector<std::shared_ptr<grpc::Channel>> channels,
                             ChannelSecurity security, const Workload& workload, uint64_t seed)
    : channels_(std::move(channels)),
      security_(std::move(security)),
      workload_(workload),
      seed_(seed) {
  for (const auto& channel : channels_) stubs_.push_back(v1::AttentionService::NewStub(channel));
}

absl::Status LoadGenerator::WaitUntilConnected(absl::Duration timeout) {
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
  for (const auto& channel : channels_) {
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect within ", absl::FormatDuration(timeout)));
    }
  }
  return absl::OkStatus();
}

LevelResult LoadGenerator::Run(const LevelConfig& config, const ProgressCallback& progress) {
  return LevelRun(config, stubs_, security_, workload_, seed_++).Execute(progress);
}

}  // namespace attnserve::attnctl
