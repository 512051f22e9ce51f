#include "client/attnctl/bench/bench_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace attnserve::attnctl {
namespace {

double PerSecond(double amount, double seconds) { return seconds > 0 ? amount / seconds : 0; }

std::string Milliseconds(double seconds) { return absl::StrFormat("%.3f", seconds * 1e3); }

int64_t ErrorCount(const LevelResult& result) { return result.requests - result.ok; }

nlohmann::json LatencyJson(const LatencyHistogram& latency) {
  return {{"min", latency.MinSeconds()},
          {"mean", latency.MeanSeconds()},
          {"p50", latency.PercentileSeconds(50)},
          {"p90", latency.PercentileSeconds(90)},
          {"p95", latency.PercentileSeconds(95)},
          {"p99", latency.PercentileSeconds(99)},
          {"p99_9", latency.PercentileSeconds(99.9)},
          {"max", latency.MaxSeconds()}};
}

nlohmann::json LevelJson(const LevelReport& level) {
  const LevelResult& r = level.result;
  nlohmann::json windows = nlohmann::json::array();
  for (const LevelResult& window : level.windows) {
    windows.push_back({{"requests_per_s", PerSecond(window.requests, window.seconds)},
                       {"p99_s", window.latency.PercentileSeconds(99)}});
  }
  return {{"concurrency", r.concurrency},
          {"rate", r.rate ? nlohmann::json(*r.rate) : nlohmann::json(nullptr)},
          {"duration_s", r.seconds},
          {"requests", r.requests},
          {"ok", r.ok},
          {"errors", r.errors},
          {"requests_per_s", PerSecond(r.requests, r.seconds)},
          {"tokens_per_s", PerSecond(r.query_tokens, r.seconds)},
          {"flops_per_s", PerSecond(r.flops, r.seconds)},
          {"bytes_sent", r.bytes_sent},
          {"bytes_received", r.bytes_received},
          {"latency_s", LatencyJson(r.latency)},
          {"verified", r.verified},
          {"mismatches", r.mismatches},
          {"windows", windows},
          {"stable", level.stable ? nlohmann::json(*level.stable) : nlohmann::json(nullptr)},
          {"unsent", r.unsent},
          {"spread", level.spread}};
}

}  // namespace

double RequestsPerSecond(const LevelResult& result) {
  return PerSecond(static_cast<double>(result.requests), result.seconds);
}

std::optional<Knee> FindKnee(const std::vector<LevelReport>& levels) {
  for (size_t i = 0; i + 1 < levels.size(); ++i) {
    const LevelResult& here = levels[i].result;
    const LevelResult& next = levels[i + 1].result;
    const double throughput = PerSecond(here.requests, here.seconds);
    const double next_throughput = PerSecond(next.requests, next.seconds);
    const double p99 = here.latency.PercentileSeconds(99);
    const double next_p99 = next.latency.PercentileSeconds(99);
    if (throughput > 0 && next_throughput < 1.05 * throughput && next_p99 > 1.5 * p99) {
      return Knee{
          here.concurrency,
          absl::StrFormat("from %d to %d: throughput %+.1f%%, p99 %+.0f%%", here.concurrency,
                          next.concurrency, 100 * (next_throughput / throughput - 1),
                          100 * (next_p99 / p99 - 1))};
    }
  }
  return std::nullopt;
}

void PrintLevelDetails(std::ostream& out, const LevelReport& level) {
  const LevelResult& r = level.result;
  out << absl::StrFormat(
      "concurrency %d%s, %.2f s measured%s\n", r.concurrency,
      r.rate ? absl::StrFormat(", open loop at %.1f req/s", *r.rate) : "", r.seconds,
      level.windows.size() > 1
          ? absl::StrFormat(" (%d windows, %s, spread %.1f%%)", level.windows.size(),
                            level.stable ? "stable" : "NOT stable", 100 * level.spread)
          : "");
  out << absl::StrFormat("  requests   %d (ok %d, errors %d)\n", r.requests, r.ok, ErrorCount(r));
  if (r.unsent > 0) {
    out << absl::StrFormat("  unsent     %d scheduled calls: the client fell behind the schedule\n",
                           r.unsent);
  }
  for (const auto& [code, count] : r.errors) out << absl::StrFormat("    %-20s %d\n", code, count);
  out << absl::StrFormat("  throughput %.1f req/s, %.1f tokens/s, %.3f GFLOP/s\n",
                         PerSecond(r.requests, r.seconds), PerSecond(r.query_tokens, r.seconds),
                         PerSecond(r.flops, r.seconds) * 1e-9);
  const LatencyHistogram& l = r.latency;
  out << "  latency ms min " << Milliseconds(l.MinSeconds()) << "  mean "
      << Milliseconds(l.MeanSeconds()) << "  p50 " << Milliseconds(l.PercentileSeconds(50))
      << "  p90 " << Milliseconds(l.PercentileSeconds(90)) << "  p95 "
      << Milliseconds(l.PercentileSeconds(95)) << "  p99 " << Milliseconds(l.PercentileSeconds(99))
      << "  p99.9 " << Milliseconds(l.PercentileSeconds(99.9)) << "  max "
      << Milliseconds(l.MaxSeconds()) << "\n";
  out << absl::StrFormat("  bytes      sent %d, received %d\n", r.bytes_sent, r.bytes_received);
  if (r.verified > 0) {
    out << absl::StrFormat(
        "  verified   %d responses against the float64 reference, %d mismatches\n", r.verified,
        r.mismatches);
  }
}

void PrintSweepTable(std::ostream& out, const std::vector<LevelReport>& levels,
                     const std::optional<Knee>& knee) {
  out << absl::StrFormat("%11s %9s %7s %10s %11s %9s %9s %9s %9s %6s\n", "concurrency", "requests",
                         "errors", "req/s", "tokens/s", "GFLOP/s", "p50 ms", "p99 ms", "max ms",
                         "stable");
  for (const LevelReport& level : levels) {
    const LevelResult& r = level.result;
    out << absl::StrFormat(
        "%11d %9d %7d %10.1f %11.1f %9.3f %9s %9s %9s %6s%s\n", r.concurrency, r.requests,
        ErrorCount(r), PerSecond(r.requests, r.seconds), PerSecond(r.query_tokens, r.seconds),
        PerSecond(r.flops, r.seconds) * 1e-9, Milliseconds(r.latency.PercentileSeconds(50)),
        Milliseconds(r.latency.PercentileSeconds(99)), Milliseconds(r.latency.MaxSeconds()),
        level.stable ? "yes" : "no", knee && knee->concurrency == r.concurrency ? "  <- knee" : "");
  }
  if (knee) out << "knee at concurrency " << knee->concurrency << ": " << knee->reason << "\n";
}

std::string BenchJson(const BenchConfigReport& config, const Workload& workload,
                      const std::vector<LevelReport>& levels, const std::optional<Knee>& knee) {
  nlohmann::json kinds = nlohmann::json::array();
  for (const RequestKind& kind : workload.kinds()) {
    const v1::AttentionRequest& request = kind.request;
    const auto& q = request.query().shape();
    const auto& k = request.key().shape();
    kinds.push_back({{"name", kind.name},
                     {"weight", kind.weight},
                     {"shape", {q[0], q[1], q[2], q[3]}},
                     {"kv_len", k[1]},
                     {"kv_heads", k[2]},
                     {"dtype", kind.dtype},
                     {"encoding", kind.encoding},
                     {"causal", request.causal()},
                     {"description", kind.description}});
  }
  nlohmann::json level_list = nlohmann::json::array();
  for (const LevelReport& level : levels) level_list.push_back(LevelJson(level));
  const nlohmann::json document = {
      {"attnctl_bench_version", 1},
      {"config",
       {{"targets", config.targets},
        {"mode", config.mode},
        {"connections", config.connections},
        {"duration_s", config.duration_s},
        {"requests", config.requests},
        {"warmup_s", config.warmup_s},
        {"verify_every", config.verify_every},
        {"kinds", kinds}}},
      {"levels", level_list},
      {"knee", knee ? nlohmann::json{{"concurrency", knee->concurrency}, {"reason", knee->reason}}
                    : nlohmann::json(nullptr)}};
  return document.dump(2) + "\n";
}

std::string BenchCsv(const std::vector<LevelReport>& levels) {
  std::string csv =
      "concurrency,rate,duration_s,requests,ok,errors,requests_per_s,tokens_per_s,flops_per_s,"
      "p50_s,p90_s,p95_s,p99_s,p99_9_s,max_s,bytes_sent,bytes_received,verified,mismatches,"
      "stable,spread\n";
  for (const LevelReport& level : levels) {
    const LevelResult& r = level.result;
    const LatencyHistogram& l = r.latency;
    absl::StrAppend(
        &csv, absl::StrFormat(
                  "%d,%s,%.6f,%d,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d,%d,%d,"
                  "%d,%d,%.6g\n",
                  r.concurrency, r.rate ? absl::StrCat(*r.rate) : "", r.seconds, r.requests, r.ok,
                  ErrorCount(r), PerSecond(r.requests, r.seconds),
                  PerSecond(r.query_tokens, r.seconds), PerSecond(r.flops, r.seconds),
                  l.PercentileSeconds(50), l.PercentileSeconds(90), l.PercentileSeconds(95),
                  l.PercentileSeconds(99), l.PercentileSeconds(99.9), l.MaxSeconds(), r.bytes_sent,
                  r.bytes_received, r.verified, r.mismatches, level.stable ? 1 : 0, level.spread));
  }
  return csv;
}

}  // namespace attnserve::attnctl
