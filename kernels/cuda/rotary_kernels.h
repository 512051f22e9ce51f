// RoPE on the GPU. RotaryTableKernel turns the host's inverse frequencies (double, one source of
// truth with the CPU backends: encoding/rotary_frequencies.h) into a per-request table of
// (a cos, a sin) in float32, computing every angle in double (RotaryCosSin); the attention
// kernels and RotaryKernel read it. RotaryKernel is the standalone ApplyRotary: it rotates
// [batch, seq, heads, head_dim] in place, 16 bytes per load where the layout allows.
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

struct RotaryApplyParams {
  void* data = nullptr;  // [batch, seq, heads, head_dim]
  int64_t batch = 0;
  int64_t seq = 0;
  int64_t heads = 0;
  int64_t head_dim = 0;
  RotaryTable table;  // row s of batch b is element (b, s); first_index is 0
};

// kElements consecutive elements of T that one thread loads and stores at once.
template <typename T, int kElements>
struct alignas(sizeof(T) * kElements) ElementChunk {
  T values[kElements];
};

// One thread per chunk of kElements elements: interleaved, a chunk holds kElements / 2 pairs;
// half-split, it holds kElements first elements whose partners form the chunk rotary_dim / 2
// further on. kElements is 16 bytes of T when the host found the layout aligned, else 2 or 1.
template <typename T, RotaryLayout Layout, int kElements>
__global__ void RotaryKernel(const RotaryApplyParams p) {
  using Chunk = ElementChunk<T, kElements>;
  const int rotary_dim = p.table.rotary_dim;
  const int half = rotary_dim / 2;
  const int chunks =
      Layout == RotaryLayout::kInterleaved ? rotary_dim / kElements : half / kElements;
  const int64_t item = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (item >= p.batch * p.seq * p.heads * chunks) return;
  const int chunk = static_cast<int>(item % chunks);
  const int64_t vector_index = item / chunks;  // (b, s, h)
  const int64_t batch = vector_index / (p.seq * p.heads);
  const int64_t seq = vector_index / p.heads % p.seq;
  T* vector = static_cast<T*>(p.data) + vector_index * p.head_dim;
  const CosSinPair* row = p.table.pairs + batch * p.table.batch_stride + seq * half;
  if constexpr (Layout == RotaryLayout::kInterleaved) {
    Chunk* address = reinterpret_cast<Chunk*>(vector + chunk * kElements);
    Chunk values = *address;
    for (int i = 0; i < kElements / 2; ++i) {
      const CosSinPair cs = row[chunk * kElements / 2 + i];
      RotatePair<float>(values.values[2 * i], values.values[2 * i + 1], cs.cos, cs.sin);
    }
    *address = values;
  } else {
    Chunk* first_address = reinterpret_cast<Chunk*>(vector + chunk * kElements);
    Chunk* second_address = reinterpret_cast<Chunk*>(vector + half + chunk * kElements);
    Chunk first = *first_address, second = *second_address;
    for (int i = 0; i < kElements; ++i) {
      const CosSinPair cs = row[chunk * kElements + i];
      RotatePair<float>(first.values[i], second.values[i], cs.cos, cs.sin);
    }
    *first_address = first;
    *second_address = second;
  }
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ROTARY_KERNELS_H_
