// CUDA's function qualifiers for g++ builds of kernel sources: nothing (every function is host
// code under the shim). Must come before any CUDA header, which would otherwise define them as
// attributes g++ warns about.
#ifndef ATTNSERVE_KERNELS_CUDA_SHIM_QUALIFIERS_H_
#define ATTNSERVE_KERNELS_CUDA_SHIM_QUALIFIERS_H_

#if defined(__global__)
#error "include kernels/cuda/cuda_compat.h (or the shim) before any CUDA header"
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

#endif  // ATTNSERVE_KERNELS_CUDA_SHIM_QUALIFIERS_H_
