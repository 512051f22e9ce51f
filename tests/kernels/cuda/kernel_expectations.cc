#include "tests/kernels/cuda/kernel_expectations.h"

#include <algorithm>
#include <cstddef>
#include <span>

#include "gtest/gtest.h"
#include "kernels/encoding/rotary_apply.h"
#include "kernels/encoding/rotary_frequencies.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/numeric/tensor_convert.h"
#include "kernels/reference/reference_attention.h"
#include "tests/support/random_problem.h"

namespace attnserve::cuda {

void ExpectMatchesReference(const Backend& backend, const AttentionProblem& problem,
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

namespace {

std::vector<double> ToDoubles(const TensorView& tensor) {
  const std::vector<float> values = ToFloatVector(tensor);
  return {values.begin(), values.end()};
}

}  // namespace

void ExpectRotaryMatchesReference(const Backend& backend, const RotarySpec& spec, DataType dtype,
                                  const std::vector<int64_t>& shape,
                                  const std::vector<int64_t>& positions, bool misaligned) {
  const int64_t count = NumElements(shape);
  const size_t element = SizeOf(dtype);
  const std::vector<std::byte> input = attnserve::testing::RandomTensorBytes(dtype, count, 41);
  // operator new's 16-byte alignment puts the tensor on a 16-byte boundary, or one element past.
  std::vector<std::byte> storage(input.size() + element);
  std::byte* data = storage.data() + (misaligned ? element : 0);
  std::copy(input.begin(), input.end(), data);

  const int64_t request_length = *std::max_element(positions.begin(), positions.end()) + 1;
  const RotaryFrequencies frequencies = ComputeRotaryFrequencies(spec, request_length);
  std::vector<double> expected = ToDoubles({dtype, shape, input.data()});
  ApplyRotaryInPlace<double>(expected, {shape[0], shape[1], shape[2], shape[3]}, frequencies,
                             {{}, positions});

  const absl::Status status = backend.ApplyRotary(frequencies, positions, {dtype, shape, data});
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_LT(RelativeL2Error(ToDoubles({dtype, shape, data}), expected), ToleranceFor(dtype));
  const int64_t head_dim = shape[3];
  for (int64_t at = 0; at < count; ++at) {
    if (at % head_dim < spec.rotary_dim) continue;
    ASSERT_TRUE(
        std::equal(data + at * element, data + (at + 1) * element, input.begin() + at * element))
        << "element " << at << " lies past rotary_dim and changed";
  }
}

}  // namespace attnserve::cuda
