// What attnctl bench sends: one or more kinds of ComputeAttention request, each built once
// (random inputs, seeded) with a weight for the mix, its size and work, and its expected output
// from the local float64 reference for --verify. Immutable once built; thread-safe to read.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_BENCH_WORKLOAD_H_
#define ATTNSERVE_CLIENT_ATTNCTL_BENCH_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"

namespace attnserve::attnctl {

struct RequestKind {
  std::string name;
  double weight = 1;
  v1::AttentionRequest request;
  int64_t request_bytes = 0;
  double query_tokens = 0;       // batch * q_len
  double flops = 0;              // 2 * (head_dim + v_head_dim) per visible pair and head
  std::vector<double> expected;  // the float64 reference output, for verification
  double tolerance = 1e-5;       // rel. L2 for the output's dtype
  std::string dtype;             // of the inputs: "float32", "float16" or "bfloat16"
  std::string encoding;          // "none", "rotary", "alibi" or "hybrid"
  std::string description;       // shape, dtype, encoding and mask, for reports
};

class Workload {
 public:
  // Computes each kind's work and expected output. Fails if a request is invalid (the message
  // names the kind and the field).
  static absl::StatusOr<Workload> Create(std::vector<RequestKind> kinds);

  const std::vector<RequestKind>& kinds() const { return kinds_; }

  // A kind drawn by weight.
  const RequestKind& Pick(std::mt19937_64& generator) const;

 private:
  std::vector<RequestKind> kinds_;
  std::vector<double> cumulative_weights_;
};

// The relative L2 error of a response's output against a kind's expected output; infinity
// when the output is missing or malformed.
double OutputError(const RequestKind& kind, const v1::AttentionResponse& response);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_BENCH_WORKLOAD_H_
