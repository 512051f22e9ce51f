// The two peaks of this machine that attention_bench is measured against:
// - FmaPeak: fp32 FMA throughput ("% of peak" of prefill). Each thread runs a loop of fused
//   multiply-adds on independent vector accumulators. GFLOP/s, one FMA = 2 FLOP.
// - ReadBandwidth: streaming reads from memory (decode's K/V rate). Each thread sums its share
//   of a 1 GiB buffer, far larger than the caches. GB/s.
// Compiled by Highway for every x86 target and dispatched at run time (as
// kernels/cpu/simd_kernels.cc is), so they use the widest vectors the CPU has; on 1 thread and
// on every core, each thread a std::thread.
//
//   ./build-bench/bench/machine_peaks_bench
#include <cstddef>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/machine_peaks_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace attnserve::bench {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Runs `iterations` rounds of 12 independent FMAs (a = a * m + c) and returns their sum so that
// nothing is optimized away. 12 chains cover latency x pipes on every current x86 core (Zen:
// 4 cycles x 2 FMA pipes = 8 in flight) and, with m and c, fit AVX2's 16 registers. m < 1 keeps
// every value finite and away from denormals (each chain converges to c / (1 - m)).
float FmaChainsImpl(int64_t iterations, float start) {
  const hn::ScalableTag<float> d;
  const auto m = hn::Set(d, 0.999f);
  const auto c = hn::Set(d, 0.001f);
  auto a0 = hn::Set(d, start), a1 = hn::Set(d, start + 1), a2 = hn::Set(d, start + 2);
  auto a3 = hn::Set(d, start + 3), a4 = hn::Set(d, start + 4), a5 = hn::Set(d, start + 5);
  auto a6 = hn::Set(d, start + 6), a7 = hn::Set(d, start + 7), a8 = hn::Set(d, start + 8);
  auto a9 = hn::Set(d, start + 9), a10 = hn::Set(d, start + 10), a11 = hn::Set(d, start + 11);
  for (int64_t i = 0; i < iterations; ++i) {
    a0 = hn::MulAdd(a0, m, c);
    a1 = hn::MulAdd(a1, m, c);
    a2 = hn::MulAdd(a2, m, c);
    a3 = hn::MulAdd(a3, m, c);
    a4 = hn::MulAdd(a4, m, c);
    a5 = hn::MulAdd(a5, m, c);
    a6 = hn::MulAdd(a6, m, c);
    a7 = hn::MulAdd(a7, m, c);
    a8 = hn::MulAdd(a8, m, c);
    a9 = hn::MulAdd(a9, m, c);
    a10 = hn::MulAdd(a10, m, c);
    a11 = hn::MulAdd(a11, m, c);
  }
  const auto sum = hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)),
                           hn::Add(hn::Add(hn::Add(a4, a5), hn::Add(a6, a7)),
                                   hn::Add(hn::Add(a8, a9), hn::Add(a10, a11))));
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

// Sum of floats [begin, end): four accumulators so loads, not adds, set the pace.
float SumFloatsImpl(const float* begin, const float* end) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  for (const float* p = begin; p + 4 * lanes <= end; p += 4 * lanes) {
    s0 = hn::Add(s0, hn::LoadU(d, p));
    s1 = hn::Add(s1, hn::LoadU(d, p + lanes));
    s2 = hn::Add(s2, hn::LoadU(d, p + 2 * lanes));
    s3 = hn::Add(s3, hn::LoadU(d, p + 3 * lanes));
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

// FLOP done by one round of FmaChainsImpl: 12 FMAs of Lanes() floats, 2 FLOP each.
int64_t FlopPerRoundImpl() {
  return 12 * 2 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
}

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace attnserve::bench
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace attnserve::bench {

HWY_EXPORT(FmaChainsImpl);
HWY_EXPORT(FlopPerRoundImpl);
HWY_EXPORT(SumFloatsImpl);
HWY_EXPORT(TargetNameImpl);

// Rounds per thread per benchmark iteration: tens of milliseconds, so that starting the
// threads (tens of microseconds) is noise.
constexpr int64_t kRoundsPerIteration = 20'000'000;

// Runs work(t) on `threads` std::threads, t = 0 .. threads - 1, once per benchmark iteration,
// and returns the wall-clock seconds of the timed loop: rates are computed from our own clock,
// since Google Benchmark's rate counters would print as "GFLOP/s=96/s".
template <typename Work>
double SecondsOnThreads(benchmark::State& state, int threads, Work work) {
  std::vector<float> results(threads);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&results, &work, t] { results[t] = work(t); });
    }
    for (std::thread& worker : workers) worker.join();
    benchmark::DoNotOptimize(results.data());
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// state.range(0) threads, each running the FMA chains.
void BM_FmaPeak(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const double seconds = SecondsOnThreads(state, threads, [](int t) {
    return HWY_DYNAMIC_DISPATCH(FmaChainsImpl)(kRoundsPerIteration, float(t));
  });
  const double gflop = 1e-9 * double(HWY_DYNAMIC_DISPATCH(FlopPerRoundImpl)()) *
                       double(kRoundsPerIteration) * threads * double(state.iterations());
  state.counters["GFLOP/s"] = gflop / seconds;
  state.counters["GFLOP/s/core"] = gflop / seconds / threads;
  state.SetLabel(std::string(HWY_DYNAMIC_DISPATCH(TargetNameImpl)()) + ", " +
                 std::to_string(HWY_DYNAMIC_DISPATCH(FlopPerRoundImpl)() / 24) + " fp32 lanes");
}

// state.range(0) threads, each summing an equal share of one 1 GiB buffer.
void BM_ReadBandwidth(benchmark::State& state) {
  constexpr size_t kFloats = size_t{1} << 28;  // 1 GiB
  static const std::vector<float> buffer(kFloats, 0.5f);
  const int threads = static_cast<int>(state.range(0));
  const double seconds = SecondsOnThreads(state, threads, [threads](int t) {
    const float* begin = buffer.data() + kFloats / threads * t;
    return HWY_DYNAMIC_DISPATCH(SumFloatsImpl)(begin, begin + kFloats / threads);
  });
  const double gigabytes = 1e-9 * double(kFloats * sizeof(float)) * double(state.iterations());
  state.counters["GB/s"] = gigabytes / seconds;
}

// 1 thread and one per core (the same benchmark once on a 1-core machine).
void ThreadCounts(benchmark::internal::Benchmark* bench) {
  bench->Arg(1);
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores > 1) bench->Arg(cores);
}

BENCHMARK(BM_FmaPeak)
    ->Apply(ThreadCounts)
    ->ArgName("threads")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_ReadBandwidth)
    ->Apply(ThreadCounts)
    ->ArgName("threads")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace attnserve::bench

BENCHMARK_MAIN();
#endif  // HWY_ONCE
