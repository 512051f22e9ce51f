#include "tests/support/random_problem.h"

#include <cmath>
#include <random>

#include "kernels/numeric/tensor_convert.h"

namespace attnserve::testing {
namespace {

TensorView ViewOf(DataType dtype, std::vector<int64_t> shape, const std::vector<std::byte>& bytes) {
  return {dtype, std::move(shape), bytes.data()};
}

}  // namespace

std::vector<std::byte> RandomTensorBytes(DataType dtype, int64_t count, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<std::byte> bytes(count * SizeOf(dtype));
  for (int64_t n = 0; n < count; ++n) StoreElement(dtype, bytes.data(), n, uniform(generator));
  return bytes;
}

std::unique_ptr<OwnedProblem> MakeRandomProblem(AttentionProblem problem, DataType dtype,
                                                uint64_t seed) {
  auto owned = std::make_unique<OwnedProblem>();
  const AttentionShape& s = problem.shape;
  owned->query_bytes = RandomTensorBytes(dtype, s.batch * s.q_len * s.heads * s.head_dim, seed);
  owned->key_bytes =
      RandomTensorBytes(dtype, s.batch * s.kv_len * s.kv_heads * s.head_dim, seed + 1);
  owned->value_bytes =
      RandomTensorBytes(dtype, s.batch * s.kv_len * s.kv_heads * s.v_head_dim, seed + 2);
  problem.query = ViewOf(dtype, {s.batch, s.q_len, s.heads, s.head_dim}, owned->query_bytes);
  problem.key = ViewOf(dtype, {s.batch, s.kv_len, s.kv_heads, s.head_dim}, owned->key_bytes);
  problem.value = ViewOf(dtype, {s.batch, s.kv_len, s.kv_heads, s.v_head_dim}, owned->value_bytes);
  if (problem.softmax_scale == 0) problem.softmax_scale = 1.0 / std::sqrt(double(s.head_dim));
  owned->problem = std::move(problem);
  return owned;
}

absl::StatusOr<BackendResult> RunBackend(const Backend& backend, const AttentionProblem& problem,
                                         DataType output_dtype, bool with_probabilities) {
  const AttentionShape& s = problem.shape;
  std::vector<int64_t> output_shape{s.batch, s.q_len, s.heads, s.v_head_dim};
  std::vector<std::byte> output_bytes(NumElements(output_shape) * SizeOf(output_dtype));
  std::vector<float> lse(s.batch * s.heads * s.q_len);
  std::vector<float> probabilities(with_probabilities ? s.batch * s.heads * s.q_len * s.kv_len : 0);
  AttentionOutputs outputs{{output_dtype, output_shape, output_bytes.data()},
                           lse.data(),
                           with_probabilities ? probabilities.data() : nullptr};
  if (absl::Status status = backend.Run(problem, outputs, /*should_stop=*/{}); !status.ok())
    return status;
  BackendResult result;
  result.output = ToDoubleVector({output_dtype, output_shape, output_bytes.data()});
  result.lse.assign(lse.begin(), lse.end());
  result.probabilities.assign(probabilities.begin(), probabilities.end());
  return result;
}

}  // namespace attnserve::testing
