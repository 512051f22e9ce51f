// The CUDA built-in names (threadIdx, __syncthreads, __shfl_xor_sync, ...) as macros and
// functions over the shim runtime (shim_runtime.h). Included by kernels/cuda/cuda_compat.h after
// CUDA's own headers, which use some of these names.
#ifndef ATTNSERVE_KERNELS_CUDA_SHIM_CUDA_SHIM_H_
#define ATTNSERVE_KERNELS_CUDA_SHIM_CUDA_SHIM_H_

#include "kernels/cuda/shim/shim_runtime.h"

// The CUDA built-ins the kernels use, mapped onto the shim.
#define __launch_bounds__(...)
#define threadIdx (::attnserve::cudashim::CurrentLane().thread_idx)
#define blockIdx (::attnserve::cudashim::CurrentLane().block_idx)
#define blockDim (::attnserve::cudashim::CurrentLane().block_dim)
#define gridDim (::attnserve::cudashim::CurrentLane().grid_dim)

inline void __syncthreads() { ::attnserve::cudashim::SyncThreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { ::attnserve::cudashim::SyncWarp(); }

template <typename T>
T __shfl_sync(unsigned, T value, int source_lane, int = 32) {
  return ::attnserve::cudashim::ShuffleFrom(value, source_lane);
}

template <typename T>
T __shfl_xor_sync(unsigned, T value, int lane_mask, int = 32) {
  const int lane = ::attnserve::cudashim::CurrentLane().linear_thread % 32;
  return ::attnserve::cudashim::ShuffleFrom(value, lane ^ lane_mask);
}

#endif  // ATTNSERVE_KERNELS_CUDA_SHIM_CUDA_SHIM_H_
