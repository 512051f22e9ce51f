#include "tests/kernels/cuda/shim_expectations.h"

#include "gtest/gtest.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/reference/reference_attention.h"
#include "tests/support/random_problem.h"

namespace attnserve::cuda {

void ExpectMatchesReference(const ShimCudaBackend& backend, const AttentionProblem& problem,
                            DataType output_dtype, double tolerance) {
  const ReferenceAttentionResult expected =
      ComputeReferenceAttention(problem, /*with_probabilities=*/false);
  absl::StatusOr<attnserve::testing::BackendResult> actual =
      attnserve::testing::RunBackend(backend, problem, output_dtype, false);
  ASSERT_TRUE(actual.ok()) << actual.status();
  EXPECT_LT(RelativeL2Error(actual->output, expected.output), tolerance);
  const bool half_inputs = problem.query.dtype != DataType::kFloat32;
  EXPECT_LT(RelativeL2Error(actual->lse, expected.lse),
            half_inputs ? kHalfTolerance : kFloat32Tolerance);
}

}  // namespace attnserve::cuda
