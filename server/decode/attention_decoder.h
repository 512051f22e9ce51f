// AttentionRequest -> a validated AttentionProblem the kernels can trust, plus the response
// options. Every rule of the ComputeAttention contract lives here; the first broken one is
// returned as INVALID_ARGUMENT naming the field (limits: RESOURCE_EXHAUSTED). The problem's
// views point into `request`, which must outlive it.
#ifndef ATTNSERVE_SERVER_DECODE_ATTENTION_DECODER_H_
#define ATTNSERVE_SERVER_DECODE_ATTENTION_DECODER_H_

#include <string>

#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/api/attention_problem.h"
#include "server/decode/request_limits.h"

namespace attnserve {

struct DecodedAttention {
  AttentionProblem problem;
  DataType output_dtype = DataType::kFloat32;
  bool return_lse = false;
  bool return_probabilities = false;
  std::string backend;  // empty: the server's choice
};

absl::StatusOr<DecodedAttention> DecodeAttentionRequest(const v1::AttentionRequest& request,
                                                        const RequestLimits& limits);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_DECODE_ATTENTION_DECODER_H_
