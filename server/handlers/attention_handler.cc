// ComputeAttention, which runs a backend, and GetServerInfo, which describes them.
#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/decode/attention_decoder.h"
#include "server/decode/tensor_codec.h"
#include "server/handlers/request_handlers.h"

namespace attnserve {

absl::Status RequestHandlers::ComputeAttention(const v1::AttentionRequest& request,
                                               v1::AttentionResponse& response,
                                               const StopCheck& should_stop) const {
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, limits_);
  if (!decoded.ok()) return decoded.status();
  absl::StatusOr<BackendRegistry::Selected> backend = backends_.Select(decoded->backend);
  if (!backend.ok()) return backend.status();

  const AttentionShape& s = decoded->problem.shape;
  AttentionOutputs outputs;
  outputs.output = AllocateTensor(*response.mutable_output(), decoded->output_dtype,
                                  {s.batch, s.q_len, s.heads, s.v_head_dim});
  if (decoded->return_lse) {
    outputs.lse = reinterpret_cast<float*>(
        AllocateTensor(*response.mutable_lse(), DataType::kFloat32, {s.batch, s.heads, s.q_len})
            .data);
  }
  if (decoded->return_probabilities) {
    outputs.probabilities = reinterpret_cast<float*>(
        AllocateTensor(*response.mutable_probabilities(), DataType::kFloat32,
                       {s.batch, s.heads, s.q_len, s.kv_len})
            .data);
  }
  const auto started = std::chrono::steady_clock::now();
  if (absl::Status status = backend->backend->Run(decoded->problem, outputs, should_stop);
      !status.ok()) {
    return status;
  }
  metrics_.RecordAttention(
      *backend->name, decoded->problem,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  response.set_backend(*backend->name);
  response.set_request_id(request.request_id());
  return absl::OkStatus();
}

absl::Status RequestHandlers::GetServerInfo(v1::ServerInfo& response) const {
  response.set_version(description_.version);
  for (const BackendDescription& description : backends_.descriptions()) {
    v1::BackendInfo& info = *response.add_backends();
    info.set_name(description.name);
    for (const std::string& device : description.devices) info.add_devices(device);
    for (DataType dtype : description.dtypes) info.add_dtypes(ToProto(dtype));
    info.set_is_default(description.name == backends_.default_name());
    info.set_description(description.description);
  }
  v1::ServerLimits& limits = *response.mutable_limits();
  limits.set_max_message_bytes(limits_.max_message_bytes);
  limits.set_max_probability_elements(limits_.max_probability_elements);
  limits.set_compute_threads(description_.compute_threads);
  limits.set_max_tensor_elements(limits_.max_tensor_elements);
  limits.set_max_attention_work(limits_.max_attention_work);
  limits.set_max_inflight_requests(description_.max_inflight_requests);
  limits.set_max_queued_requests(description_.max_queued_requests);
  return absl::OkStatus();
}

}  // namespace attnserve
