// The comparisons the cuda kernel tests make, for a backend running the kernels of kernels/cuda/
// (the CPU shim or a GPU): against the float64 reference, on random data.
#ifndef ATTNSERVE_TESTS_KERNELS_CUDA_KERNEL_EXPECTATIONS_H_
#define ATTNSERVE_TESTS_KERNELS_CUDA_KERNEL_EXPECTATIONS_H_

#include <cstdint>
#include <vector>

#include "kernels/api/attention_problem.h"
#include "kernels/api/backend.h"

namespace attnserve::cuda {

// `tolerance` bounds the output's error. lse is held to float32's unless the inputs are half:
// the flash kernel rounds rotated Q and K back to their dtype in shared memory (as
// FlashAttention's fused rotary does), which moves the logits by that rounding.
void ExpectMatchesReference(const Backend& backend, const AttentionProblem& problem,
                            DataType output_dtype, double tolerance);

// backend.ApplyRotary on a random [batch, seq, heads, head_dim] tensor against ApplyRotaryInPlace
// in double, within the dtype's tolerance; dims past rotary_dim must come back bit for bit.
// With `misaligned` the tensor starts one element past a 16-byte boundary.
void ExpectRotaryMatchesReference(const Backend& backend, const RotarySpec& spec, DataType dtype,
                                  const std::vector<int64_t>& shape,
                                  const std::vector<int64_t>& positions, bool misaligned = false);

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_TESTS_KERNELS_CUDA_KERNEL_EXPECTATIONS_H_
