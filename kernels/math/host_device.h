// ATTN_HOST_DEVICE marks per-element math that both the CPU backend (g++) and the CUDA kernels
// (nvcc) compile from the same source, so a formula exists once.
#ifndef ATTNSERVE_KERNELS_MATH_HOST_DEVICE_H_
#define ATTNSERVE_KERNELS_MATH_HOST_DEVICE_H_

#if defined(__CUDACC__)
#define ATTN_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define ATTN_HOST_DEVICE inline
#endif

#endif  // ATTNSERVE_KERNELS_MATH_HOST_DEVICE_H_
