// How the CUDA backend rotates one tensor in place (the ApplyRotary RPC): the RoPE table of the
// request's positions, then RotaryApplyKernel with 16-byte accesses wherever the tensor's
// alignment allows them. Pure host code, shared by the GPU backend and the CPU-shim backend.
#ifndef ATTNSERVE_KERNELS_CUDA_ROTARY_APPLY_PLAN_H_
#define ATTNSERVE_KERNELS_CUDA_ROTARY_APPLY_PLAN_H_

#include <cstdint>
#include <vector>

#include "kernels/api/tensor_view.h"
#include "kernels/cuda/attention_params.h"
#include "kernels/encoding/rotary_frequencies.h"

namespace attnserve::cuda {

// Device (or shim) addresses of what a rotation reads and writes.
struct RotaryApplyBuffers {
  void* data = nullptr;  // the tensor, rotated in place
  const double* inv_freq = nullptr;
  const int64_t* positions = nullptr;  // one per sequence index
  CosSinPair* table = nullptr;         // RotaryApplyTablePairs entries
};

// The workspace the table needs: seq * rotary_dim / 2 pairs.
int64_t RotaryApplyTablePairs(const RotaryFrequencies& frequencies,
                              const std::vector<int64_t>& shape);

struct RotaryApplyLaunch {
  DataType dtype = DataType::kFloat32;
  bool interleaved = false;
  int pairs_per_thread = 1;  // 1, or WideRotaryPairs when every run is 16-byte aligned
  int64_t threads = 0;
  RotaryTableParams table;
  RotaryApplyParams apply;
};

// `shape` is [batch, seq, heads, head_dim] and `dtype` the tensor's; the buffers hold its data,
// the frequencies' inv_freq and seq positions.
RotaryApplyLaunch PlanRotaryApply(const RotaryFrequencies& frequencies, DataType dtype,
                                  const std::vector<int64_t>& shape,
                                  const RotaryApplyBuffers& buffers);

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ROTARY_APPLY_PLAN_H_
