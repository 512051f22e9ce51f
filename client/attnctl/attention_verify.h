// attnctl attention --verify: decodes the request exactly as the server does, runs the float64
// reference on it and compares the server's tensors by relative L2 error. Tolerances are the
// service's accuracy contract: 1e-5 for float32 results (and lse, probabilities, always float32),
// 1e-2 for float16/bfloat16 outputs. Pure functions.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_VERIFY_H_
#define ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_VERIFY_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/numeric/accuracy.h"

namespace attnserve::attnctl {

struct Comparison {
  std::string tensor;  // "output", "lse" or "probabilities"
  double error = 0;    // relative L2 error against the reference
  double tolerance = 0;

  bool passed() const { return error <= tolerance; }  // false for NaN
};

// One comparison per tensor the response carries (output; lse and probabilities when asked
// for). Fails when the request does not decode locally or a response tensor is malformed.
absl::StatusOr<std::vector<Comparison>> VerifyAttention(const v1::AttentionRequest& request,
                                                        const v1::AttentionResponse& response);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_VERIFY_H_
