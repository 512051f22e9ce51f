#include "client/attnctl/bench/workload.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "client/cpp/tensors.h"
#include "kernels/api/attention_work.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/reference/reference_attention.h"
#include "server/decode/attention_decoder.h"

namespace attnserve::attnctl {
namespace {

std::string Describe(const AttentionProblem& problem, DataType output_dtype) {
  const AttentionShape& shape = problem.shape;
  return absl::StrCat("b=", shape.batch, " q=", shape.q_len, " kv=", shape.kv_len,
                      " h=", shape.heads, "/", shape.kv_heads, " d=", shape.head_dim, " ",
                      ToString(problem.query.dtype), "->", ToString(output_dtype), " ",
                      EncodingKind(problem), problem.causal ? " causal" : "",
                      problem.window > 0 ? absl::StrCat(" window=", problem.window) : "");
}

}  // namespace

absl::StatusOr<Workload> Workload::Create(std::vector<RequestKind> kinds) {
  if (kinds.empty()) return absl::InvalidArgumentError("the workload has no request kinds");
  Workload workload;
  double total = 0;
  for (RequestKind& kind : kinds) {
    if (!(kind.weight > 0 && std::isfinite(kind.weight))) {
      return absl::InvalidArgumentError(
          absl::StrCat("kind ", kind.name, ": weight=", kind.weight, " must be > 0"));
    }
    absl::StatusOr<DecodedAttention> decoded =
        DecodeAttentionRequest(kind.request, RequestLimits::Unlimited());
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kind ", kind.name, ": ", decoded.status().message()));
    }
    const AttentionWork work = CountAttentionWork(decoded->problem);
    kind.request_bytes = static_cast<int64_t>(kind.request.ByteSizeLong());
    kind.query_tokens = static_cast<double>(work.query_tokens);
    kind.flops = work.flops;
    kind.expected = ComputeReferenceAttention(decoded->problem, false).output;
    kind.tolerance = ToleranceFor(decoded->output_dtype);
    kind.dtype = ToString(decoded->problem.query.dtype);
    kind.encoding = EncodingKind(decoded->problem);
    kind.description = Describe(decoded->problem, decoded->output_dtype);
    total += kind.weight;
    workload.cumulative_weights_.push_back(total);
  }
  workload.kinds_ = std::move(kinds);
  return workload;
}

const RequestKind& Workload::Pick(std::mt19937_64& generator) const {
  const double point =
      std::uniform_real_distribution<double>(0, cumulative_weights_.back())(generator);
  const auto found =
      std::upper_bound(cumulative_weights_.begin(), cumulative_weights_.end(), point);
  return kinds_[std::min<size_t>(found - cumulative_weights_.begin(), kinds_.size() - 1)];
}

double OutputError(const RequestKind& kind, const v1::AttentionResponse& response) {
  const absl::StatusOr<std::vector<float>> output = TensorValues(response.output());
  if (!output.ok()) return std::numeric_limits<double>::infinity();
  return RelativeL2Error(std::vector<double>(output->begin(), output->end()), kind.expected);
}

}  // namespace attnserve::attnctl
