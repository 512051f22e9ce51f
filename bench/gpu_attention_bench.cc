// The cuda backend's kernels on a GPU (layer 4 of docs/gpu.md): device time per call of the RoPE
// table, attention and split merge, the tensors already on the device (CudaBackend::TimeKernels;
// PCIe copies left out, as FlashAttention's and FlashInfer's benchmarks leave them out).
//   prefill  batch 1, 16384 tokens, 16 heads, d=128 (FlashAttention-2's H100 figure), causal,
//            float16: no encoding, and RoPE (Llama 3) with ALiBi fused; bfloat16 d=64 (32
//            heads); float32 d=128 at 4096 tokens (the SIMT kernel)
//   decode   q=1, 32 query / 8 kv heads, d=128, float16, kv in {16384, 65536}, batch 1 and 8,
//            with and without RoPE (flash-decoding: split count chosen by the plan)
// Prefill prints TFLOP/s = 4*b*h*s*s*d / 2 (causal) per call; decode prints GB/s of K and V
// read (H100 SXM: 3350 GB/s of HBM3). Without a usable GPU it prints SKIPPED with the reason and
// measures nothing.
//   ./build-bench/bench/gpu_attention_bench [--device=N] [--repetitions=N]
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "tests/support/random_problem.h"

namespace attnserve {
namespace {

struct Case {
  std::string name;
  AttentionProblem problem;
  DataType dtype;
};

AttentionProblem Prefill(int64_t tokens, int64_t heads, int64_t head_dim, bool encoded) {
  AttentionProblem problem;
  problem.shape = {1, tokens, tokens, heads, heads, head_dim, head_dim};
  problem.causal = true;
  if (encoded) {
    problem.rotary = RotarySpec{500000, static_cast<int>(head_dim), false, Llama3Scaling{}};
    problem.alibi = AlibiSpec{};
  }
  return problem;
}

AttentionProblem Decode(int64_t batch, int64_t kv_len, bool rope) {
  AttentionProblem problem;
  problem.shape = {batch, 1, kv_len, 32, 8, 128, 128};
  problem.causal = true;
  if (rope) problem.rotary = RotarySpec{500000, 128, false, Llama3Scaling{}};
  return problem;
}

std::vector<Case> Cases() {
  return {
      {"prefill 16k d128 fp16 causal", Prefill(16384, 16, 128, false), DataType::kFloat16},
      {"prefill 16k d128 fp16 causal rope+alibi", Prefill(16384, 16, 128, true),
       DataType::kFloat16},
      {"prefill 16k d64 bf16 causal rope+alibi", Prefill(16384, 32, 64, true), DataType::kBFloat16},
      {"prefill 4k d128 fp32 causal rope+alibi", Prefill(4096, 16, 128, true), DataType::kFloat32},
      {"decode b1 kv16k gqa4 fp16", Decode(1, 16384, false), DataType::kFloat16},
      {"decode b1 kv64k gqa4 fp16", Decode(1, 65536, false), DataType::kFloat16},
      {"decode b1 kv64k gqa4 fp16 rope", Decode(1, 65536, true), DataType::kFloat16},
      {"decode b8 kv16k gqa4 fp16 rope", Decode(8, 16384, true), DataType::kFloat16},
  };
}

int FlagValue(int argc, char** argv, const char* name, int fallback) {
  const size_t length = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    int value;
    if (std::strncmp(argv[i], name, length) == 0 && absl::SimpleAtoi(argv[i] + length, &value)) {
      return value;
    }
  }
  return fallback;
}

int Main(int argc, char** argv) {
  const int device = FlagValue(argc, argv, "--device=", 0);
  const int repetitions = FlagValue(argc, argv, "--repetitions=", 20);
  CpuBackend unused_fallback(1);
  const cuda::CudaBackend gpu(cuda::CudaBackendOptions{device}, &unused_fallback);
  if (!gpu.unavailable_reason().empty()) {
    std::printf("SKIPPED: no GPU to benchmark on: %s\n", gpu.unavailable_reason().c_str());
    return 0;
  }
  std::printf("device: %s\n\n", gpu.Describe().devices.front().c_str());
  std::printf("| case | kernel | splits | ms | TFLOP/s or GB/s |\n|---|---|---|---|---|\n");
  for (const Case& c : Cases()) {
    std::unique_ptr<testing::OwnedProblem> owned =
        testing::MakeRandomProblem(c.problem, c.dtype, 1);
    absl::StatusOr<cuda::KernelTiming> timing = gpu.TimeKernels(owned->problem, repetitions);
    if (!timing.ok()) {
      std::printf("| %s | failed: %s |\n", c.name.c_str(), timing.status().ToString().c_str());
      continue;
    }
    const AttentionShape& s = c.problem.shape;
    const double seconds = timing->milliseconds / 1e3;
    std::string rate;
    if (s.q_len == 1) {
      const double kv_bytes =
          2.0 * s.batch * s.kv_len * s.kv_heads * s.head_dim * static_cast<double>(SizeOf(c.dtype));
      rate = std::to_string(static_cast<int>(kv_bytes / seconds / 1e9)) + " GB/s";
    } else {
      const double flops =
          4.0 * s.batch * s.heads * s.q_len * s.kv_len * s.head_dim / (c.problem.causal ? 2 : 1);
      rate = std::to_string(static_cast<int>(flops / seconds / 1e12)) + " TFLOP/s";
    }
    std::printf("| %s | %s | %d | %.3f | %s |\n", c.name.c_str(), timing->kernel.c_str(),
                timing->splits, timing->milliseconds, rate.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace attnserve

int main(int argc, char** argv) { return attnserve::Main(argc, argv); }
