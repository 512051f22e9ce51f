// RoPE on the GPU. RotaryTableKernel turns the host's inverse frequencies (double, one source of
// truth with the CPU backends: encoding/rotary_frequencies.h) into a per-request table of
// (a cos, a sin) in float32, computing every angle in double (RotaryCosSin). The attention
// kernels read that table and rotate Q and K as they load them; RotaryApplyKernel reads it to
// rotate a tensor in place (the ApplyRotary RPC).
#ifndef ATTNSERVE_KERNELS_CUDA_ROTARY_KERNELS_H_
#define ATTNSERVE_KERNELS_CUDA_ROTARY_KERNELS_H_

#include "kernels/cuda/attention_params.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/kernel_geometry.h"
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
  const int64_t position = p.positions ? p.positions[row] : p.first_position + row;
  const CosSin value = RotaryCosSin(offset + position, p.inv_freq[pair], p.attention_factor);
  p.table[(batch * p.rows + row) * p.pairs + pair] = {static_cast<float>(value.cos),
                                                      static_cast<float>(value.sin)};
}

// N consecutive elements moved as one access: 16 bytes (one LDG.128) when N * sizeof(T) is 16.
template <typename T, int N>
struct alignas(sizeof(T) * N) ElementRun {
  T values[N];
};

// grid ceil(vectors * rotary_dim / 2 / Pairs / 256), block 256. Each thread rotates Pairs
// consecutive pairs of one head vector: 1, or WideRotaryPairs (kernel_geometry.h) when
// rotary_apply_plan.h found every run 16-byte aligned. Dims at and past rotary_dim are not
// touched.
template <typename T, RotaryLayout Layout, int Pairs>
__global__ void RotaryApplyKernel(const RotaryApplyParams p) {
  const int runs = p.rotary_dim / 2 / Pairs;
  const int64_t item = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (item >= p.vectors * runs) return;
  const int64_t vector_index = item / runs;
  const int first_pair = static_cast<int>(item % runs) * Pairs;
  const int64_t sequence_index = vector_index / p.heads % p.seq;
  const CosSinPair* cos_sin = p.table + sequence_index * (p.rotary_dim / 2) + first_pair;
  T* vector = static_cast<T*>(p.data) + vector_index * p.head_dim;

  if constexpr (Layout == RotaryLayout::kInterleaved) {
    auto* run = reinterpret_cast<ElementRun<T, 2 * Pairs>*>(vector + 2 * first_pair);
    ElementRun<T, 2 * Pairs> elements = *run;
    ATTN_UNROLL
    for (int i = 0; i < Pairs; ++i) {
      RotatePair<float>(elements.values[2 * i], elements.values[2 * i + 1], cos_sin[i].cos,
                        cos_sin[i].sin);
    }
    *run = elements;
  } else {
    auto* first_run = reinterpret_cast<ElementRun<T, Pairs>*>(vector + first_pair);
    auto* second_run =
        reinterpret_cast<ElementRun<T, Pairs>*>(vector + p.rotary_dim / 2 + first_pair);
    ElementRun<T, Pairs> first = *first_run;
    ElementRun<T, Pairs> second = *second_run;
    ATTN_UNROLL
    for (int i = 0; i < Pairs; ++i) {
      RotatePair<float>(first.values[i], second.values[i], cos_sin[i].cos, cos_sin[i].sin);
    }
    *first_run = first;
    *second_run = second;
  }
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ROTARY_KERNELS_H_
