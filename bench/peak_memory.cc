// Peak resident memory of one long causal prefill through the cpu backend, to show that memory
// grows with the sequence (O(n): inputs, outputs and their converted copies), not with the
// score matrix (O(n^2)). Every buffer the backend needs is allocated before its tile loop
// starts, so the run is stopped (through the backend's StopCheck) after a few seconds of
// computing: finishing a 128k prefill would take hours on 2 cores and allocate nothing more.
//
//   ./build-bench/bench/peak_memory --length=131072 [--compute_seconds=5]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "kernels/cpu/cpu_backend.h"
#include "tests/support/random_problem.h"

namespace {

double MebiBytes(double bytes) { return bytes / (1 << 20); }

double PeakResidentBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return 1024.0 * static_cast<double>(usage.ru_maxrss);  // Linux reports KiB
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attnserve;
  int64_t length = 131072;
  double compute_seconds = 5;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    const bool ok =
        (absl::StartsWith(arg, "--length=") && absl::SimpleAtoi(arg.substr(9), &length)) ||
        (absl::StartsWith(arg, "--compute_seconds=") &&
         absl::SimpleAtod(arg.substr(18), &compute_seconds));
    if (!ok) {
      std::fprintf(stderr, "usage: peak_memory [--length=N] [--compute_seconds=S]\n");
      return 2;
    }
  }
  // The benchmark model shape in bfloat16, causal, with RoPE-YaRN (so K is also rotated).
  AttentionProblem spec;
  spec.shape = {1, length, length, 32, 8, 128, 128};
  spec.causal = true;
  spec.rotary = RotarySpec{10000, 128, false, YarnScaling{4, 4096}};
  const auto owned = testing::MakeRandomProblem(spec, DataType::kBFloat16, /*seed=*/7);
  const AttentionShape& s = owned->problem.shape;
  std::vector<std::byte> output(s.batch * s.q_len * s.heads * s.v_head_dim * 2);
  const AttentionOutputs outputs{
      {DataType::kBFloat16, {s.batch, s.q_len, s.heads, s.v_head_dim}, output.data()}};
  const double before = PeakResidentBytes();

  const CpuBackend backend(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const auto start = std::chrono::steady_clock::now();
  const auto stop_after = start + std::chrono::duration<double>(compute_seconds);
  const absl::Status status = backend.Run(
      owned->problem, outputs, [&] { return std::chrono::steady_clock::now() > stop_after; });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const double io_bytes =
      double(owned->problem.query.num_elements() * 2 + owned->problem.key.num_elements() * 2 +
             owned->problem.value.num_elements() * 2 + output.size());
  const double score_bytes = 4.0 * double(s.heads) * double(s.q_len) * double(s.kv_len);
  std::printf("q=kv=%lld, 32/8 heads, d=128, bfloat16, causal, YaRN; %s after %.1f s\n",
              static_cast<long long>(length), status.ok() ? "finished" : "stopped", seconds);
  std::printf("  request tensors (Q, K, V, output): %10.0f MiB\n", MebiBytes(io_bytes));
  std::printf("  peak RSS before Run:               %10.0f MiB\n", MebiBytes(before));
  std::printf("  peak RSS of the whole run:         %10.0f MiB\n", MebiBytes(PeakResidentBytes()));
  std::printf("  one fp32 score matrix would take:  %10.0f MiB\n", MebiBytes(score_bytes));
  return 0;
}
