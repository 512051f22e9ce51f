#include "client/attnctl/attention_verify.h"

#include "absl/strings/str_cat.h"
#include "client/cpp/tensors.h"
#include "kernels/reference/reference_attention.h"
#include "server/decode/attention_decoder.h"

namespace attnserve::attnctl {
namespace {

absl::StatusOr<Comparison> Compare(const std::string& name, const v1::Tensor& actual,
                                   const std::vector<double>& expected, double tolerance) {
  absl::StatusOr<std::vector<float>> values = TensorValues(actual);
  if (!values.ok()) {
    return absl::InternalError(absl::StrCat("response ", name, ": ", values.status().message()));
  }
  const std::vector<double> actual_values(values->begin(), values->end());
  return Comparison{name, RelativeL2Error(actual_values, expected), tolerance};
}

}  // namespace

absl::StatusOr<std::vector<Comparison>> VerifyAttention(const v1::AttentionRequest& request,
                                                        const v1::AttentionResponse& response) {
  // The client checks correctness, not the server's size limits.
  const RequestLimits limits = RequestLimits::Unlimited();
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, limits);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request does not decode locally: ", decoded.status().message()));
  }
  const ReferenceAttentionResult reference =
      ComputeReferenceAttention(decoded->problem, decoded->return_probabilities);

  std::vector<Comparison> comparisons;
  const double output_tolerance = ToleranceFor(decoded->output_dtype);
  absl::StatusOr<Comparison> output =
      Compare("output", response.output(), reference.output, output_tolerance);
  if (!output.ok()) return output.status();
  comparisons.push_back(*output);
  if (decoded->return_lse) {
    absl::StatusOr<Comparison> lse =
        Compare("lse", response.lse(), reference.lse, kFloat32Tolerance);
    if (!lse.ok()) return lse.status();
    comparisons.push_back(*lse);
  }
  if (decoded->return_probabilities) {
    absl::StatusOr<Comparison> probabilities = Compare("probabilities", response.probabilities(),
                                                       reference.probabilities, kFloat32Tolerance);
    if (!probabilities.ok()) return probabilities.status();
    comparisons.push_back(*probabilities);
  }
  return comparisons;
}

}  // namespace attnserve::attnctl
