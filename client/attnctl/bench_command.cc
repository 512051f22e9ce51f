// attnctl bench: load-tests a server with ComputeAttention (closed or open loop, a concurrency
// sweep, repeated windows until stable) and checks answers while it loads it (--verify K).
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/attnctl/attention_request_flags.h"
#include "client/attnctl/bench/bench_report.h"
#include "client/attnctl/bench/load_generator.h"
#include "client/attnctl/bench/scenario_file.h"
#include "client/attnctl/bench/workload.h"
#include "client/attnctl/command.h"
#include "client/attnctl/command_line.h"
#include "client/attnctl/common_flags.h"

ABSL_FLAG(std::string, scenario, "",
          "YAML or JSON file with a weighted mix of request kinds (instead of the shape flags).");
ABSL_FLAG(int32_t, concurrency, 1,
          "Closed loop: calls kept in flight. With --rate: the most allowed in flight.");
ABSL_FLAG(std::string, concurrency_range, "",
          "Sweep START:END:xFACTOR or START:END:+STEP (e.g. 1:64:x2), one row per level.");
ABSL_FLAG(double, rate, 0,
          "Open loop at this many requests/s on a constant schedule; latency counts from the "
          "scheduled send time. 0: closed loop.");
ABSL_FLAG(double, duration, 10, "Seconds measured per level (per window with --stable).");
ABSL_FLAG(int64_t, requests, 0, "Measure this many calls per level instead of --duration.");
ABSL_FLAG(double, warmup, 1, "Seconds of unmeasured load before each level.");
ABSL_FLAG(int32_t, connections, 1, "gRPC channels (each its own connection) to spread calls over.");
ABSL_FLAG(bool, stable, false,
          "Repeat measurement windows of --duration until the last three agree within "
          "--stability on requests/s and p99 (at most --max_windows); report those three.");
ABSL_FLAG(double, stability, 0.1, "Relative spread the last three windows may have.");
ABSL_FLAG(int32_t, max_windows, 10, "Most windows per level with --stable.");
ABSL_FLAG(double, max_error_rate, 0, "Share of failed calls allowed before the exit code is 1.");
ABSL_FLAG(std::string, json, "", "Write the results as JSON here ('-' for stdout).");
ABSL_FLAG(std::string, csv, "", "Write one CSV row per level here ('-' for stdout).");

namespace attnserve::attnctl {
namespace {

absl::StatusOr<std::vector<int>> ConcurrencyLevels() {
  const std::string range = absl::GetFlag(FLAGS_concurrency_range);
  constexpr int kMaxConcurrency = 100000;
  if (range.empty()) {
    const int concurrency = absl::GetFlag(FLAGS_concurrency);
    if (concurrency < 1 || concurrency > kMaxConcurrency) {
      return absl::InvalidArgumentError(
          absl::StrCat("--concurrency=", concurrency, " must be in [1, ", kMaxConcurrency, "]"));
    }
    return std::vector<int>{concurrency};
  }
  const std::vector<std::string> parts = absl::StrSplit(range, ':');
  int start = 0, end = 0, step = 0;
  const bool multiply = parts.size() == 3 && !parts[2].empty() && parts[2][0] == 'x';
  const bool add = parts.size() == 3 && !parts[2].empty() && parts[2][0] == '+';
  if (!(multiply || add) || !absl::SimpleAtoi(parts[0], &start) ||
      !absl::SimpleAtoi(parts[1], &end) || !absl::SimpleAtoi(parts[2].substr(1), &step) ||
      start < 1 || end < start || end > kMaxConcurrency || step < (multiply ? 2 : 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--concurrency_range=", range,
                     " must be START:END:xFACTOR or START:END:+STEP with 1 <= START <= END <= ",
                     kMaxConcurrency));
  }
  std::vector<int> levels;
  for (int64_t level = start; level <= end; level = multiply ? level * step : level + step) {
    levels.push_back(level);
  }
  return levels;
}

absl::StatusOr<Workload> WorkloadFromFlags() {
  std::vector<RequestKind> kinds;
  if (const std::string scenario = absl::GetFlag(FLAGS_scenario); !scenario.empty()) {
    for (const std::string& flag : AttentionRequestFlagNames()) {
      if (FlagGiven(flag)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", flag, " does not apply with --scenario (kinds come from the file)"));
      }
    }
    absl::StatusOr<std::vector<RequestKind>> read = ReadScenarioFile(scenario);
    if (!read.ok()) return read.status();
    kinds = std::move(*read);
  } else {
    absl::StatusOr<v1::AttentionRequest> request = AttentionRequestFromFlags();
    if (!request.ok()) return request.status();
    RequestKind kind;
    kind.name = "flags";
    kind.request = std::move(*request);
    kinds.push_back(std::move(kind));
  }
  return Workload::Create(std::move(kinds));
}

// (max - min) / mean of `value` over `windows`.
template <typename Value>
double Spread(const std::vector<LevelResult>& windows, Value value) {
  double low = INFINITY, high = 0, sum = 0;
  for (const LevelResult& window : windows) {
    const double v = value(window);
    low = std::min(low, v);
    high = std::max(high, v);
    sum += v;
  }
  return sum > 0 ? (high - low) / (sum / windows.size()) : 0;
}

// How far apart (max - min) / mean the windows are on requests/s and on p99 latency.
struct WindowSpread {
  double throughput = 0;
  double p99 = 0;
};
WindowSpread SpreadOf(const std::vector<LevelResult>& windows) {
  return {Spread(windows, RequestsPerSecond),
          Spread(windows, [](const LevelResult& r) { return r.latency.PercentileSeconds(99); })};
}

// One level: a single window, or (--stable) windows until the last three agree.
LevelReport MeasureLevel(LoadGenerator& generator, LevelConfig config,
                         const ProgressCallback& progress) {
  LevelReport report;
  if (!absl::GetFlag(FLAGS_stable)) {
    report.result = generator.Run(config, progress);
    report.windows = {report.result};
    return report;  // stable stays unset: nothing was checked
  }
  const double tolerance = absl::GetFlag(FLAGS_stability);
  std::vector<LevelResult> last_three;
  WindowSpread spread;
  for (int w = 0; w < absl::GetFlag(FLAGS_max_windows); ++w) {
    report.windows.push_back(generator.Run(config, progress));
    config.warmup = absl::ZeroDuration();  // the first window's warmup warmed the rest too
    if (report.windows.size() < 3) continue;
    last_three.assign(report.windows.end() - 3, report.windows.end());
    spread = SpreadOf(last_three);
    if (spread.throughput <= tolerance && spread.p99 <= tolerance) break;
  }
  report.result = last_three[0];
  for (size_t i = 1; i < last_three.size(); ++i) report.result.Merge(last_three[i]);
  report.spread = spread.throughput;
  report.stable = spread.throughput <= tolerance && spread.p99 <= tolerance;
  return report;
}

absl::Status WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty()) return absl::OkStatus();
  if (path == "-") {
    std::cout << text << std::flush;
    return absl::OkStatus();
  }
  std::ofstream file(path);
  file << text;
  file.close();
  if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

int RunBench() {
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return ReportUsageError(options.status().message());
  absl::StatusOr<std::vector<int>> levels = ConcurrencyLevels();
  if (!levels.ok()) return ReportUsageError(levels.status().message());
  const double rate = absl::GetFlag(FLAGS_rate);
  if (!(rate >= 0) || !(absl::GetFlag(FLAGS_duration) > 0) || !(absl::GetFlag(FLAGS_warmup) >= 0) ||
      absl::GetFlag(FLAGS_requests) < 0 || absl::GetFlag(FLAGS_verify) < 0) {
    return ReportUsageError(
        "--rate, --warmup, --requests and --verify must be >= 0 and --duration > 0");
  }
  if (absl::GetFlag(FLAGS_stable) &&
      (absl::GetFlag(FLAGS_max_windows) < 3 || !(absl::GetFlag(FLAGS_stability) > 0))) {
    return ReportUsageError("--stable needs --max_windows >= 3 and --stability > 0");
  }
  absl::StatusOr<Workload> workload = WorkloadFromFlags();
  if (!workload.ok()) return ReportUsageError(workload.status().message());
  absl::StatusOr<std::unique_ptr<LoadGenerator>> generator = LoadGenerator::Create(
      options->target, absl::GetFlag(FLAGS_connections), options->security, *workload, /*seed=*/1);
  if (!generator.ok()) return ReportUsageError(generator.status().message());
  if (absl::Status connected = (*generator)->WaitUntilConnected(options->timeout);
      !connected.ok()) {
    return ReportRpcError(connected);
  }

  for (const RequestKind& kind : workload->kinds()) {
    std::cerr << absl::StrFormat("kind %s (weight %g): %s, %d bytes\n", kind.name, kind.weight,
                                 kind.description, kind.request_bytes);
  }
  const bool progress_on_terminal = isatty(STDERR_FILENO);
  std::vector<LevelReport> reports;
  for (int concurrency : *levels) {
    LevelConfig config;
    config.concurrency = concurrency;
    if (rate > 0) config.rate = rate;
    config.warmup = absl::Seconds(absl::GetFlag(FLAGS_warmup));
    config.duration = absl::Seconds(absl::GetFlag(FLAGS_duration));
    config.max_requests = absl::GetFlag(FLAGS_requests);
    config.call_timeout = options->timeout;
    config.verify_every = absl::GetFlag(FLAGS_verify);
    const ProgressCallback progress = [&](int64_t requests, double seconds) {
      if (!progress_on_terminal) return;
      std::cerr << absl::StrFormat("\r[concurrency %d] %.1f s, %d requests, %.1f req/s   ",
                                   concurrency, seconds, requests,
                                   seconds > 0 ? requests / seconds : 0)
                << std::flush;
    };
    reports.push_back(MeasureLevel(**generator, config, progress));
    if (progress_on_terminal) std::cerr << "\r" << std::string(60, ' ') << "\r";
  }

  const std::optional<Knee> knee = reports.size() > 1 ? FindKnee(reports) : std::nullopt;
  const bool quiet_stdout = absl::GetFlag(FLAGS_json) == "-" || absl::GetFlag(FLAGS_csv) == "-";
  if (!quiet_stdout) {
    if (reports.size() == 1) {
      PrintLevelDetails(std::cout, reports[0]);
    } else {
      PrintSweepTable(std::cout, reports, knee);
    }
    std::cout << std::flush;
  }
  const BenchConfigReport config{
      absl::StrSplit(options->target, ','), rate > 0 ? "open" : "closed",
      absl::GetFlag(FLAGS_connections),     absl::GetFlag(FLAGS_duration),
      absl::GetFlag(FLAGS_requests),        absl::GetFlag(FLAGS_warmup),
      absl::GetFlag(FLAGS_verify)};
  for (const absl::Status& written :
       {WriteOutput(absl::GetFlag(FLAGS_json), BenchJson(config, *workload, reports, knee)),
        WriteOutput(absl::GetFlag(FLAGS_csv), BenchCsv(reports))}) {
    if (!written.ok()) return ReportUsageError(written.message());
  }

  int64_t requests = 0, errors = 0, mismatches = 0;
  for (const LevelReport& report : reports) {
    requests += report.result.requests;
    errors += report.result.requests - report.result.ok;
    mismatches += report.result.mismatches;
  }
  if (mismatches > 0) {
    std::cerr << "error: " << mismatches << " responses differ from the float64 reference\n";
    return kExitMismatch;
  }
  if (requests == 0 || errors > absl::GetFlag(FLAGS_max_error_rate) * requests) {
    std::cerr << absl::StrFormat("error: %d of %d calls failed (allowed: %g of them)\n", errors,
                                 requests, absl::GetFlag(FLAGS_max_error_rate));
    return kExitRpcFailed;
  }
  return kExitOk;
}

}  // namespace

Command BenchCommand() {
  std::vector<std::string> flags = AttentionRequestFlagNames();
  for (const char* flag : {"scenario", "concurrency", "concurrency_range", "rate", "duration",
                           "requests", "warmup", "connections", "stable", "stability",
                           "max_windows", "max_error_rate", "json", "csv", "verify"}) {
    flags.push_back(flag);
  }
  return {"bench",
          "load test with ComputeAttention, verifying answers while loading the server",
          "bench [shape/encoding flags | --scenario FILE] [--concurrency N | --rate R]\n"
          "bench ... --concurrency-range 1:64:x2 [--csv sweep.csv] [--json sweep.json]",
          "Closed loop (--concurrency calls in flight) or open loop (--rate requests/s on a\n"
          "constant schedule, latency from the scheduled send time) for --duration seconds or\n"
          "--requests calls, after --warmup. --target a,b,c balances over several servers.\n"
          "Reports count, errors by code, req/s, tokens/s, achieved FLOP/s, latency percentiles\n"
          "(within 0.4%) and bytes; --verify K checks one response in K against the float64\n"
          "reference. Exit 1 when more calls fail than --max-error-rate allows, 3 on a mismatch.",
          std::move(flags),
          &RunBench};
}

}  // namespace attnserve::attnctl
