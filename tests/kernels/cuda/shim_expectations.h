// The one comparison the cuda kernel tests make: a ShimCudaBackend run against the float64
// reference.
#ifndef ATTNSERVE_TESTS_KERNELS_CUDA_SHIM_EXPECTATIONS_H_
#define ATTNSERVE_TESTS_KERNELS_CUDA_SHIM_EXPECTATIONS_H_

#include "kernels/api/attention_problem.h"
#include "kernels/cuda/shim_backend.h"

namespace attnserve::cuda {

// `tolerance` bounds the output's error. lse is held to float32's unless the inputs are half:
// the flash kernel rounds rotated Q and K back to their dtype in shared memory (as
// FlashAttention's fused rotary does), which moves the logits by that rounding.
void ExpectMatchesReference(const ShimCudaBackend& backend, const AttentionProblem& problem,
                            DataType output_dtype, double tolerance);

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_TESTS_KERNELS_CUDA_SHIM_EXPECTATIONS_H_
