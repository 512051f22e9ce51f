// How the CUDA backend maps one AttentionProblem onto kernels: which attention kernel, how many
// key splits, and the per-request tables and workspaces. Pure host code (no CUDA calls), shared
// by the GPU backend and by the CPU-shim backend the tests run, so the planning the GPU uses is
// the planning the tests check.
#ifndef ATTNSERVE_KERNELS_CUDA_ATTENTION_PLAN_H_
#define ATTNSERVE_KERNELS_CUDA_ATTENTION_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/api/attention_problem.h"
#include "kernels/cuda/attention_params.h"
#include "kernels/encoding/attention_encoding.h"

namespace attnserve::cuda {

enum class AttentionKernelKind {
  kFlash,  // tensor cores: float16 / bfloat16, head_dim == v_head_dim in {64, 128}
  kSimt,   // CUDA cores in float32: everything else up to head dims of 256
};

const char* ToString(AttentionKernelKind kind);

struct AttentionPlan {
  AttentionKernelKind kind = AttentionKernelKind::kSimt;
  int64_t rows_per_block = 0;
  int64_t row_blocks = 0;  // grid.x
  int num_splits = 1;
  int64_t keys_per_split = 0;

  // Per-request host tables, copied to the device before the launch.
  AttentionEncoding encoding;
  std::vector<float> alibi_slopes;  // [heads] or empty

  // RoPE table geometry (rotary_kernels.h); table_batches is 0 without RoPE.
  int64_t table_rows = 0;
  int64_t table_batches = 0;
  int64_t table_first_index = 0;

  // Workspace sizes, in elements.
  int64_t table_pairs = 0;
  int64_t partial_output_elements = 0;  // 0 without splits
  int64_t partial_lse_elements = 0;
};

// Fails with UNIMPLEMENTED for shapes no kernel covers (the backend then computes on the CPU).
// `multiprocessors` is the device's SM count: the key splits are chosen so that the blocks
// fill whole waves of it.
absl::StatusOr<AttentionPlan> PlanAttention(const AttentionProblem& problem, int multiprocessors);

// Device (or shim) addresses of everything a plan reads and writes.
struct AttentionBuffers {
  const void* query = nullptr;
  const void* key = nullptr;
  const void* value = nullptr;
  void* output = nullptr;
  float* lse = nullptr;
  const int64_t* kv_lengths = nullptr;
  const int64_t* position_offsets = nullptr;
  const float* alibi_slopes = nullptr;
  const double* inv_freq = nullptr;
  CosSinPair* rotary_table = nullptr;
  float* partial_output = nullptr;
  float* partial_lse = nullptr;
};

AttentionKernelParams MakeKernelParams(const AttentionProblem& problem, const AttentionPlan& plan,
                                       const AttentionBuffers& buffers, DataType output_dtype);

RotaryTableParams MakeRotaryTableParams(const AttentionProblem& problem, const AttentionPlan& plan,
                                        const AttentionBuffers& buffers);

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ATTENTION_PLAN_H_
