// RoPE's table on the GPU: RotaryTableKernel turns the host's inverse frequencies (double, one
// source of truth with the CPU backends: encoding/rotary_frequencies.h) into a per-request table
// of (a cos, a sin) in float32, computing every angle in double (RotaryCosSin); the attention
// kernels read it and rotate Q and K as they load them.
#ifndef ATTNSERVE_KERNELS_CUDA_ROTARY_KERNELS_H_
#define ATTNSERVE_KERNELS_CUDA_ROTARY_KERNELS_H_

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_elements.h"
#include "kernels/math/rotary_pair.h"

namespace attnserve::cuda {

// grid (ceil(rows * pairs / 256), batch or 1), block 256.
__global__ void RotaryTableKernel(const RotaryTableParams p) {
  const int64_t entry = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (entry >= p.rows * p.pairs) return;
  const int64_t batch = blockIdx.y;
  const int64_t row = entry / p.pairs;
  const int pair = static_cast<int>(entry % p.pairs);
  const int64_t offset = p.batch_offsets ? p.batch_offsets[batch] : 0;
  const CosSin value =
      RotaryCosSin(offset + p.first_position + row, p.inv_freq[pair], p.attention_factor);
  p.table[(batch * p.rows + row) * p.pairs + pair] = {static_cast<float>(value.cos),
                                                      static_cast<float>(value.sin)};
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ROTARY_KERNELS_H_
