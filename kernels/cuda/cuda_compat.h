// What every kernel source of kernels/cuda/ includes first: the CUDA runtime under nvcc, the
// CPU shim (kernels/cuda/shim/) under g++, and cuda_fp16.h / cuda_bf16.h in both (they work in
// host code). With it a kernel file compiles unchanged for the GPU and for the CPU tests.
#ifndef ATTNSERVE_KERNELS_CUDA_CUDA_COMPAT_H_
#define ATTNSERVE_KERNELS_CUDA_CUDA_COMPAT_H_

#include <cstddef>
#include <cstdint>

#if !defined(__CUDACC__)
#include "kernels/cuda/shim/qualifiers.h"
#endif

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#else
#include <cmath>

// After the CUDA headers: its built-in names are macros.
#include "kernels/cuda/shim/cuda_shim.h"
#endif

#define ATTN_DEVICE __device__ __forceinline__

// Loops over register arrays must be unrolled, or the arrays spill to local memory.
#if defined(__CUDACC__)
#define ATTN_UNROLL _Pragma("unroll")
#else
#define ATTN_UNROLL
#endif

namespace attnserve::cuda {

// The block's dynamic shared memory (the kernels use no static __shared__ arrays, whose
// per-block storage the shim could not provide).
ATTN_DEVICE std::byte* DynamicSharedMemory() {
#if defined(__CUDACC__)
  extern __shared__ __align__(16) std::byte dynamic_shared_memory[];
  return dynamic_shared_memory;
#else
  return ::attnserve::cudashim::BlockSharedMemory();
#endif
}

ATTN_DEVICE int LaneIndex() { return static_cast<int>(threadIdx.x) % 32; }
ATTN_DEVICE int WarpIndex() { return static_cast<int>(threadIdx.x) / 32; }

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_CUDA_COMPAT_H_
