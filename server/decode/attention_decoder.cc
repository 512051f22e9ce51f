#include "server/decode/attention_decoder.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "kernels/util/status_macros.h"
#include "server/decode/encoding_decoder.h"
#include "server/decode/field_checks.h"
#include "server/decode/tensor_codec.h"

namespace attnserve {
namespace {

// "key.shape[0]=3 must equal query.shape[0]=2 (batch)".
absl::Status MustEqual(absl::string_view field, int64_t value, absl::string_view other_field,
                       int64_t other, absl::string_view meaning) {
  if (value == other) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, "=", value, " must equal ", other_field, "=", other, " (", meaning, ")"));
}

absl::StatusOr<AttentionShape> DecodeShapes(const v1::AttentionRequest& request,
                                            AttentionProblem& problem) {
  for (const auto& [present, name] :
       {std::pair{request.has_query(), "query"}, std::pair{request.has_key(), "key"},
        std::pair{request.has_value(), "value"}}) {
    if (!present) return absl::InvalidArgumentError(absl::StrCat(name, " is required"));
  }
  absl::StatusOr<TensorView> query =
      DecodeTensor(request.query(), "query", {"batch", "q_len", "heads", "head_dim"});
  if (!query.ok()) return query.status();
  absl::StatusOr<TensorView> key =
      DecodeTensor(request.key(), "key", {"batch", "kv_len", "kv_heads", "head_dim"});
  if (!key.ok()) return key.status();
  absl::StatusOr<TensorView> value =
      DecodeTensor(request.value(), "value", {"batch", "kv_len", "kv_heads", "v_head_dim"});
  if (!value.ok()) return value.status();
  if (key->dtype != query->dtype || value->dtype != query->dtype) {
    const TensorView& other = key->dtype != query->dtype ? *key : *value;
    return absl::InvalidArgumentError(
        absl::StrCat(key->dtype != query->dtype ? "key" : "value", ".dtype=", ToString(other.dtype),
                     " must equal query.dtype=", ToString(query->dtype)));
  }
  const AttentionShape shape{query->shape[0], query->shape[1], key->shape[1],  query->shape[2],
                             key->shape[2],   query->shape[3], value->shape[3]};
  ATTN_RETURN_IF_ERROR(
      MustEqual("key.shape[0]", key->shape[0], "query.shape[0]", shape.batch, "batch"));
  ATTN_RETURN_IF_ERROR(
      MustEqual("value.shape[0]", value->shape[0], "query.shape[0]", shape.batch, "batch"));
  ATTN_RETURN_IF_ERROR(
      MustEqual("value.shape[1]", value->shape[1], "key.shape[1]", shape.kv_len, "kv_len"));
  ATTN_RETURN_IF_ERROR(
      MustEqual("value.shape[2]", value->shape[2], "key.shape[2]", shape.kv_heads, "kv_heads"));
  ATTN_RETURN_IF_ERROR(
      MustEqual("key.shape[3]", key->shape[3], "query.shape[3]", shape.head_dim, "head_dim"));
  if (shape.heads % shape.kv_heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("key.shape[2]=", shape.kv_heads, " must divide query heads=", shape.heads));
  }
  for (const auto& [tensor, name] :
       {std::pair{&*query, "query"}, std::pair{&*key, "key"}, std::pair{&*value, "value"}}) {
    ATTN_RETURN_IF_ERROR(CheckFinite(*tensor, name));
  }
  problem.query = std::move(*query);
  problem.key = std::move(*key);
  problem.value = std::move(*value);
  return shape;
}

absl::Status DecodeMasking(const v1::AttentionRequest& request, AttentionProblem& problem) {
  const AttentionShape& shape = problem.shape;
  if (!(request.softmax_scale() >= 0 && std::isfinite(request.softmax_scale()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("softmax_scale=", request.softmax_scale(),
                     " must be finite and >= 0 (0 means 1/sqrt(head_dim))"));
  }
  // Backends compute in float32: a larger scale would become infinite there.
  if (request.softmax_scale() > std::numeric_limits<float>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("softmax_scale=", request.softmax_scale(), " must be at most ",
                     std::numeric_limits<float>::max(), " (float32)"));
  }
  problem.softmax_scale = request.softmax_scale() == 0
                              ? 1.0 / std::sqrt(static_cast<double>(shape.head_dim))
                              : request.softmax_scale();
  ATTN_RETURN_IF_ERROR(CheckNonNegative(request.window(), "window", "unlimited"));
  problem.window = request.window();
  problem.causal = request.causal();

  if (!request.position_offsets().empty()) {
    ATTN_RETURN_IF_ERROR(MustEqual("position_offsets size", request.position_offsets_size(),
                                   "query.shape[0]", shape.batch,
                                   "one per batch element, or none"));
    for (int b = 0; b < request.position_offsets_size(); ++b) {
      ATTN_RETURN_IF_ERROR(CheckPosition(request.position_offsets(b), kMaxPosition - shape.kv_len,
                                         absl::StrCat("position_offsets[", b, "]")));
    }
    problem.position_offsets.assign(request.position_offsets().begin(),
                                    request.position_offsets().end());
  }
  if (!request.kv_lengths().empty()) {
    ATTN_RETURN_IF_ERROR(MustEqual("kv_lengths size", request.kv_lengths_size(), "query.shape[0]",
                                   shape.batch, "one per batch element, or none"));
    for (int b = 0; b < request.kv_lengths_size(); ++b) {
      const int64_t length = request.kv_lengths(b);
      if (length < 0 || length > shape.kv_len) {
        return absl::InvalidArgumentError(absl::StrCat(
            "kv_lengths[", b, "]=", length, " must be in [0, kv_len=", shape.kv_len, "]"));
      }
    }
    problem.kv_lengths.assign(request.kv_lengths().begin(), request.kv_lengths().end());
  }
  return absl::OkStatus();
}

absl::Status DecodeEncoding(const v1::PositionEncoding& encoding, AttentionProblem& problem) {
  if (encoding.has_rotary()) {
    absl::StatusOr<RotarySpec> rotary =
        DecodeRotary(encoding.rotary(), problem.shape.head_dim, "encoding.rotary");
    if (!rotary.ok()) return rotary.status();
    problem.rotary = std::move(*rotary);
  }
  if (encoding.has_alibi()) {
    absl::StatusOr<AlibiSpec> alibi =
        DecodeAlibi(encoding.alibi(), problem.shape.heads, "encoding.alibi");
    if (!alibi.ok()) return alibi.status();
    problem.alibi = std::move(*alibi);
  }
  return absl::OkStatus();
}

absl::Status CheckLimits(const DecodedAttention& decoded, const RequestLimits& limits) {
  const AttentionShape& s = decoded.problem.shape;
  for (const auto& [name, tensor] :
       {std::pair{"query", &decoded.problem.query}, std::pair{"key", &decoded.problem.key},
        std::pair{"value", &decoded.problem.value}}) {
    ATTN_RETURN_IF_ERROR(CheckTensorElements(*tensor, name, limits));
  }
  const int64_t rows = s.batch * s.heads * s.q_len;  // bounded by the query's element count
  const std::optional<int64_t> work = CheckedProduct({rows, s.kv_len});
  if (!work || *work > limits.max_attention_work) {
    return absl::ResourceExhaustedError(
        absl::StrCat("attention work batch*heads*q_len*kv_len=", rows, "*", s.kv_len,
                     " is over max_attention_work=", limits.max_attention_work));
  }
  int64_t probability_elements = 0;
  if (decoded.return_probabilities) {
    const std::optional<int64_t> elements = CheckedProduct({rows, s.kv_len});
    if (!elements || *elements > limits.max_probability_elements) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "return_probabilities needs batch*heads*q_len*kv_len=", rows, "*", s.kv_len,
          " elements, over max_probability_elements=", limits.max_probability_elements));
    }
    probability_elements = *elements;
  }
  const std::optional<int64_t> bytes =
      ResponseTensorBytes({{rows, s.v_head_dim, static_cast<int64_t>(SizeOf(decoded.output_dtype))},
                           {decoded.return_lse ? rows : 0, 4},
                           {probability_elements, 4}});
  return CheckResponseBytes(bytes, limits);
}

}  // namespace

absl::StatusOr<DecodedAttention> DecodeAttentionRequest(const v1::AttentionRequest& request,
                                                        const RequestLimits& limits) {
  DecodedAttention decoded;
  AttentionProblem& problem = decoded.problem;
  absl::StatusOr<AttentionShape> shape = DecodeShapes(request, problem);
  if (!shape.ok()) return shape.status();
  problem.shape = *shape;
  ATTN_RETURN_IF_ERROR(DecodeMasking(request, problem));
  ATTN_RETURN_IF_ERROR(DecodeEncoding(request.encoding(), problem));
  if (problem.rotary) {
    ATTN_RETURN_IF_ERROR(
        CheckRotaryIsFinite(*problem.rotary, problem.request_length(), "encoding.rotary"));
  }
  if (request.output_dtype() == v1::DATA_TYPE_UNSPECIFIED) {
    decoded.output_dtype = problem.query.dtype;
  } else {
    absl::StatusOr<DataType> output_dtype = DecodeDataType(request.output_dtype(), "output_dtype");
    if (!output_dtype.ok()) return output_dtype.status();
    decoded.output_dtype = *output_dtype;
  }
  decoded.return_lse = request.return_lse();
  decoded.return_probabilities = request.return_probabilities();
  decoded.backend = request.backend();
  ATTN_RETURN_IF_ERROR(CheckLimits(decoded, limits));
  return decoded;
}

}  // namespace attnserve
