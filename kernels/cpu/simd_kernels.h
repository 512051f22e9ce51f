// The cpu backend's vector kernels, compiled by Google Highway for every x86 target it knows
// (SSE4, AVX2, AVX-512, AVX-512 on Zen 4) and picked at run time for the CPU at hand, so one
// binary uses the widest vectors the machine has. float32 in and out, fp32 accumulation in
// vector lanes. Stateless; safe from any thread.
#ifndef ATTNSERVE_KERNELS_CPU_SIMD_KERNELS_H_
#define ATTNSERVE_KERNELS_CPU_SIMD_KERNELS_H_

#include <cstdint>

namespace attnserve {

// out[j] = sum over c < dim of query[c] * keys[j * key_stride + c], for j < count.
void DotProducts(const float* query, const float* keys, int64_t key_stride, int64_t count,
                 int64_t dim, float* out);

// accumulator[c] = accumulator[c] * rescale + weight * value[c], for c < dim.
void ScaleAndAdd(float rescale, float weight, const float* value, float* accumulator, int64_t dim);

// The instruction set the kernels run with on this machine, e.g. "AVX3_ZEN4" or "AVX2".
const char* SimdTargetName();

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_CPU_SIMD_KERNELS_H_
