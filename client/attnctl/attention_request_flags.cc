#include "client/attnctl/attention_request_flags.h"

#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/attnctl/attention_inputs.h"
#include "client/attnctl/command_line.h"
#include "client/attnctl/common_flags.h"
#include "client/attnctl/encoding_flags.h"
#include "client/attnctl/flag_values.h"
#include "server/decode/tensor_codec.h"

ABSL_FLAG(int64_t, batch, 1, "Batch size of the random inputs.");
ABSL_FLAG(int64_t, q_len, 16, "Query length of the random inputs.");
ABSL_FLAG(int64_t, kv_len, 16, "Key/value length of the random inputs.");
ABSL_FLAG(int64_t, kv_heads, 0, "Key/value heads of the random inputs (GQA/MQA); 0 means --heads.");
ABSL_FLAG(int64_t, v_head_dim, 0, "Value head size of the random inputs; 0 means --head_dim.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the random inputs (uniform in [-1, 1)).");
ABSL_FLAG(std::string, key, "",
          "Key .npy file, [batch, kv_len, kv_heads, head_dim] (with --query).");
ABSL_FLAG(std::string, value, "",
          "Value .npy file, [batch, kv_len, kv_heads, v_head_dim] (with --query).");
ABSL_FLAG(bool, causal, false, "Causal mask, bottom-right aligned.");
ABSL_FLAG(int64_t, window, 0, "Sliding window: keys with pos_q - pos_k < window; 0 = unlimited.");
ABSL_FLAG(double, softmax_scale, 0, "Softmax scale; 0 means 1/sqrt(head_dim).");
ABSL_FLAG(std::string, position_offsets, "",
          "Position of each batch element's first key, comma-separated (e.g. 0,5); empty: all 0.");
ABSL_FLAG(std::string, kv_lengths, "",
          "Valid keys of each batch element, comma-separated (e.g. 3,4); empty: all kv_len.");
ABSL_FLAG(std::string, backend, "", "Backend to run on (see attnctl info); empty: the default.");
ABSL_FLAG(std::string, output_dtype, "",
          "Output dtype: float32, float16 or bfloat16; empty means the input dtype.");
ABSL_FLAG(bool, lse, false, "Also return the log-sum-exp of each row.");
ABSL_FLAG(bool, probabilities, false, "Also return the softmax weights.");
ABSL_FLAG(std::string, request_id, "", "Request id, echoed by the server.");

namespace attnserve::attnctl {
namespace {

constexpr const char* kShapeFlags[] = {"batch",    "q_len",    "kv_len",     "heads",
                                       "kv_heads", "head_dim", "v_head_dim", "seed"};

absl::StatusOr<AttentionInputs> InputsFromFlags(DataType dtype) {
  const std::string query = absl::GetFlag(FLAGS_query);
  const std::string key = absl::GetFlag(FLAGS_key);
  const std::string value = absl::GetFlag(FLAGS_value);
  if (query.empty() && key.empty() && value.empty()) {
    RandomInputsParams params;
    params.shape.batch = absl::GetFlag(FLAGS_batch);
    params.shape.q_len = absl::GetFlag(FLAGS_q_len);
    params.shape.kv_len = absl::GetFlag(FLAGS_kv_len);
    params.shape.heads = absl::GetFlag(FLAGS_heads);
    const int64_t kv_heads = absl::GetFlag(FLAGS_kv_heads);
    params.shape.kv_heads = kv_heads == 0 ? params.shape.heads : kv_heads;
    params.shape.head_dim = absl::GetFlag(FLAGS_head_dim);
    const int64_t v_head_dim = absl::GetFlag(FLAGS_v_head_dim);
    params.shape.v_head_dim = v_head_dim == 0 ? params.shape.head_dim : v_head_dim;
    params.dtype = dtype;
    params.seed = absl::GetFlag(FLAGS_seed);
    return RandomInputs(params);
  }
  if (query.empty() || key.empty() || value.empty()) {
    return absl::InvalidArgumentError("--query, --key and --value go together: give all three");
  }
  for (const char* flag : kShapeFlags) {
    if (FlagGiven(flag)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag,
                       " does not apply with --query/--key/--value (shapes come "
                       "from the files)"));
    }
  }
  return FileInputs({query, key, value, dtype});
}

}  // namespace

absl::StatusOr<v1::AttentionRequest> AttentionRequestFromFlags() {
  absl::StatusOr<std::optional<DataType>> dtype =
      ParseDataType(absl::GetFlag(FLAGS_dtype), "dtype", /*allow_empty=*/false);
  if (!dtype.ok()) return dtype.status();
  absl::StatusOr<std::optional<DataType>> output_dtype =
      ParseDataType(absl::GetFlag(FLAGS_output_dtype), "output_dtype", /*allow_empty=*/true);
  if (!output_dtype.ok()) return output_dtype.status();
  absl::StatusOr<v1::PositionEncoding> encoding = PositionEncodingFromFlags();
  if (!encoding.ok()) return encoding.status();
  absl::StatusOr<std::vector<int64_t>> offsets =
      ParseInt64List(absl::GetFlag(FLAGS_position_offsets), "position_offsets");
  if (!offsets.ok()) return offsets.status();
  absl::StatusOr<std::vector<int64_t>> kv_lengths =
      ParseInt64List(absl::GetFlag(FLAGS_kv_lengths), "kv_lengths");
  if (!kv_lengths.ok()) return kv_lengths.status();
  absl::StatusOr<AttentionInputs> inputs = InputsFromFlags(**dtype);
  if (!inputs.ok()) return inputs.status();

  v1::AttentionRequest request;
  *request.mutable_query() = std::move(inputs->query);
  *request.mutable_key() = std::move(inputs->key);
  *request.mutable_value() = std::move(inputs->value);
  *request.mutable_encoding() = std::move(*encoding);
  request.set_causal(absl::GetFlag(FLAGS_causal));
  request.set_softmax_scale(absl::GetFlag(FLAGS_softmax_scale));
  request.set_window(absl::GetFlag(FLAGS_window));
  request.mutable_position_offsets()->Add(offsets->begin(), offsets->end());
  request.mutable_kv_lengths()->Add(kv_lengths->begin(), kv_lengths->end());
  request.set_backend(absl::GetFlag(FLAGS_backend));
  if (*output_dtype) request.set_output_dtype(ToProto(**output_dtype));
  request.set_return_lse(absl::GetFlag(FLAGS_lse));
  request.set_return_probabilities(absl::GetFlag(FLAGS_probabilities));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return request;
}

std::vector<std::string> AttentionRequestFlagNames() {
  std::vector<std::string> flags(std::begin(kShapeFlags), std::end(kShapeFlags));
  for (const std::vector<std::string>& more :
       {std::vector<std::string>{"dtype", "query", "key", "value", "causal", "window",
                                 "softmax_scale", "position_offsets", "kv_lengths", "backend",
                                 "output_dtype", "lse", "probabilities", "request_id"},
        RotaryFlagNames(), AlibiFlagNames()}) {
    flags.insert(flags.end(), more.begin(), more.end());
  }
  return flags;
}

}  // namespace attnserve::attnctl
