// Random attention problems that own their bytes, and a way to run any Backend on one and get
// its results back in double for comparison with the float64 reference.
#ifndef ATTNSERVE_TESTS_SUPPORT_RANDOM_PROBLEM_H_
#define ATTNSERVE_TESTS_SUPPORT_RANDOM_PROBLEM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/api/attention_problem.h"
#include "kernels/api/backend.h"

namespace attnserve::testing {

// Random bytes of `count` elements of `dtype`, uniform in [-1, 1) before rounding to dtype.
std::vector<std::byte> RandomTensorBytes(DataType dtype, int64_t count, uint64_t seed);

// An AttentionProblem whose views point into tensors it owns. Not copyable (the views would
// dangle); hold it by unique_ptr.
struct OwnedProblem {
  AttentionProblem problem;
  std::vector<std::byte> query_bytes;
  std::vector<std::byte> key_bytes;
  std::vector<std::byte> value_bytes;

  OwnedProblem() = default;
  OwnedProblem(const OwnedProblem&) = delete;
  OwnedProblem& operator=(const OwnedProblem&) = delete;
};

// Fills the three tensors of `problem.shape` with random data of `dtype`; every other field of
// `problem` is kept. softmax_scale 0 becomes 1 / sqrt(head_dim).
std::unique_ptr<OwnedProblem> MakeRandomProblem(AttentionProblem problem, DataType dtype,
                                                uint64_t seed);

struct BackendResult {
  std::vector<double> output;
  std::vector<double> lse;
  std::vector<double> probabilities;
};

// Runs `backend`, always asking for lse, and for probabilities when `with_probabilities`.
absl::StatusOr<BackendResult> RunBackend(const Backend& backend, const AttentionProblem& problem,
                                         DataType output_dtype, bool with_probabilities);

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_RANDOM_PROBLEM_H_
