// Kernel benchmarks of attention through the Backend interface, as the server calls it (the
// time includes converting inputs to float and rotating Q and K, which every request pays):
//   prefill  one sequence, 32 query / 8 kv heads, d=128, causal, q = kv in {512, 2048, 8192}
//   decode   the same heads, q=1, kv in {4096, 32768, 131072}
// each in float32 and bfloat16, with no encoding, RoPE-YaRN (factor 4, original 4096) or ALiBi.
// The cpu backend runs every case; the float64 reference only the small ones (q=kv=512 and
// decode kv=4096), for the speed-up ratio. Inputs are random (tests/support/random_problem).
//
// Counters: GFLOP/s = 4*b*h*q*kv*d per call (halved for causal) over wall time; %peak when
// --peak_gflops=X (or $ATTNSERVE_PEAK_GFLOPS) gives the peak to compare with (machine_peaks_bench);
// for decode, GB/s of K and V read in their input dtype. Longer prefills (32k takes about 1.5
// minutes per case on 2 cores) are opt-in: --long_prefill=32768. --threads=N sizes the cpu
// backend's pool (default: one per core).
//
//   ./build-bench/bench/attention_bench --benchmark_min_time=0.5 --peak_gflops=192
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/simd_kernels.h"
#include "kernels/reference/reference_attention.h"
#include "tests/support/random_problem.h"

namespace attnserve::bench {
namespace {

enum class Encoding { kNone, kYarn, kAlibi };

const char* ToString(Encoding encoding) {
  switch (encoding) {
    case Encoding::kNone:
      return "none";
    case Encoding::kYarn:
      return "yarn";
    case Encoding::kAlibi:
      return "alibi";
  }
  return "unknown";
}

// One benchmarked problem; the model shape (b=1, h=32, kv_h=8, d=128) is the same for all.
struct BenchCase {
  bool decode = false;  // q_len 1 and no mask, else causal prefill
  int64_t q_len = 0;
  int64_t kv_len = 0;
  DataType dtype = DataType::kFloat32;
  Encoding encoding = Encoding::kNone;

  std::string Name() const {
    return absl::StrCat(decode ? "decode" : "prefill", "/q", q_len, "_kv", kv_len, "/",
                        ToString(dtype), "/", ToString(encoding));
  }
};

AttentionProblem ProblemSpec(const BenchCase& bench_case) {
  AttentionProblem problem;
  problem.shape = {.batch = 1,
                   .q_len = bench_case.q_len,
                   .kv_len = bench_case.kv_len,
                   .heads = 32,
                   .kv_heads = 8,
                   .head_dim = 128,
                   .v_head_dim = 128};
  // Decode's single query sees every key either way (the causal mask is bottom-right aligned);
  // leaving it off keeps the FLOP count below exact.
  problem.causal = !bench_case.decode;
  problem.softmax_scale = 0;  // MakeRandomProblem resolves it to 1 / sqrt(d)
  if (bench_case.encoding == Encoding::kYarn) {
    problem.rotary = RotarySpec{.theta = 10000,
                                .rotary_dim = 128,
                                .scaling = YarnScaling{.factor = 4, .original_max_position = 4096}};
  } else if (bench_case.encoding == Encoding::kAlibi) {
    problem.alibi = AlibiSpec{};  // slopes from max_bias 8, as the API defaults
  }
  return problem;
}

// The problem of the case running now. Google Benchmark calls a benchmark several times while
// it sizes the iteration count, and cpu and reference run the same case back to back: one
// cached problem avoids regenerating up to 67M random elements each time, and bounds memory.
const AttentionProblem& CachedProblem(const BenchCase& bench_case) {
  static std::string cached_name;
  static std::unique_ptr<testing::OwnedProblem> cached;
  if (cached == nullptr || cached_name != bench_case.Name()) {
    cached.reset();  // free the previous case first
    cached = testing::MakeRandomProblem(ProblemSpec(bench_case), bench_case.dtype, /*seed=*/2024);
    cached_name = bench_case.Name();
  }
  return cached->problem;
}

struct RunOptions {
  double peak_gflops = 0;  // 0: no %peak counter
};

// Our own flags (Google Benchmark takes its own first).
struct OwnFlags {
  RunOptions run;
  std::vector<int64_t> long_prefill;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

void RunAttention(benchmark::State& state, const Backend* backend, BenchCase bench_case,
                  RunOptions options) {
  const AttentionProblem& problem = CachedProblem(bench_case);
  const AttentionShape& s = problem.shape;
  // Output in the input dtype, as the service returns by default.
  std::vector<int64_t> output_shape{s.batch, s.q_len, s.heads, s.v_head_dim};
  std::vector<std::byte> output_bytes(NumElements(output_shape) * SizeOf(bench_case.dtype));
  const AttentionOutputs outputs{{bench_case.dtype, output_shape, output_bytes.data()}};
  // Rates from our own wall clock over the timed loop: Google Benchmark's rate counters would
  // print as "GFLOP/s=5.2/s".
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (absl::Status status = backend->Run(problem, outputs, /*should_stop=*/{}); !status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(output_bytes.data());
    benchmark::ClobberMemory();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double seconds_per_call = elapsed.count() / double(state.iterations());
  const double gflop =
      4e-9 * double(s.batch * s.heads * s.q_len * s.kv_len * s.head_dim) / (problem.causal ? 2 : 1);
  state.counters["GFLOP/s"] = gflop / seconds_per_call;
  if (options.peak_gflops > 0) {
    state.counters["%peak"] = 100 * gflop / seconds_per_call / options.peak_gflops;
  }
  if (bench_case.decode) {
    const int64_t kv_elements = s.batch * s.kv_len * s.kv_heads * (s.head_dim + s.v_head_dim);
    const double kv_gigabytes = 1e-9 * double(kv_elements * SizeOf(bench_case.dtype));
    state.counters["GB/s"] = kv_gigabytes / seconds_per_call;
  }
  state.SetLabel(backend->Describe().name);
}

// Every case of the file header; `long_prefill` adds causal prefills of those lengths.
std::vector<BenchCase> Cases(const std::vector<int64_t>& long_prefill) {
  std::vector<BenchCase> cases;
  auto add_all_variants = [&cases](bool decode, int64_t q_len, int64_t kv_len) {
    for (DataType dtype : {DataType::kFloat32, DataType::kBFloat16}) {
      for (Encoding encoding : {Encoding::kNone, Encoding::kYarn, Encoding::kAlibi}) {
        cases.push_back({decode, q_len, kv_len, dtype, encoding});
      }
    }
  };
  for (int64_t length : {int64_t{512}, int64_t{2048}, int64_t{8192}}) {
    add_all_variants(false, length, length);
  }
  for (int64_t length : long_prefill) add_all_variants(false, length, length);
  for (int64_t kv_len : {int64_t{4096}, int64_t{32768}, int64_t{131072}}) {
    add_all_variants(true, 1, kv_len);
  }
  return cases;
}

// The reference is plain float64 loops: only the small cases finish in reasonable time.
bool ReferenceRuns(const BenchCase& bench_case) {
  return bench_case.decode ? bench_case.kv_len <= 4096 : bench_case.q_len <= 512;
}

// Our own flags, taken out of argv after Google Benchmark took its own: --peak_gflops=X,
// --long_prefill=N[,N...] and --threads=N (the cpu backend's pool; default one per core).
// Returns false (with a message) on a bad value.
bool ParseOwnFlags(int* argc, char** argv, OwnFlags* flags) {
  if (const char* env = std::getenv("ATTNSERVE_PEAK_GFLOPS"); env != nullptr) {
    (void)absl::SimpleAtod(env, &flags->run.peak_gflops);
  }
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const absl::string_view arg = argv[i];
    bool ok = true;
    if (absl::StartsWith(arg, "--peak_gflops=")) {
      ok = absl::SimpleAtod(arg.substr(14), &flags->run.peak_gflops);
    } else if (absl::StartsWith(arg, "--threads=")) {
      ok = absl::SimpleAtoi(arg.substr(10), &flags->threads) && flags->threads > 0;
    } else if (absl::StartsWith(arg, "--long_prefill=")) {
      for (absl::string_view item : absl::StrSplit(arg.substr(15), ',')) {
        int64_t length = 0;
        ok = ok && absl::SimpleAtoi(item, &length) && length > 0;
        flags->long_prefill.push_back(length);
      }
    } else {
      argv[kept++] = argv[i];
      continue;
    }
    if (!ok) {
      std::fprintf(stderr, "attention_bench: bad value in %s\n", argv[i]);
      return false;
    }
  }
  *argc = kept;
  return true;
}

}  // namespace
}  // namespace attnserve::bench

int main(int argc, char** argv) {
  using namespace attnserve;
  using namespace attnserve::bench;
  benchmark::Initialize(&argc, argv);
  OwnFlags flags;
  if (!ParseOwnFlags(&argc, argv, &flags)) return 2;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const RunOptions& options = flags.run;

  static const CpuBackend cpu(flags.threads);
  static const ReferenceBackend reference;
  for (const BenchCase& bench_case : Cases(flags.long_prefill)) {
    for (const Backend* backend :
         {static_cast<const Backend*>(&cpu), static_cast<const Backend*>(&reference)}) {
      if (backend == &reference && !ReferenceRuns(bench_case)) continue;
      benchmark::RegisterBenchmark(
          absl::StrCat(bench_case.Name(), "/", backend->Describe().name).c_str(), RunAttention,
          backend, bench_case, options)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::AddCustomContext("simd_target", SimdTargetName());
  benchmark::AddCustomContext("cpu_threads", absl::StrCat(flags.threads));
  if (options.peak_gflops > 0) {
    benchmark::AddCustomContext("peak_gflops", absl::StrCat(options.peak_gflops));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
