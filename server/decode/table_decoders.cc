#include "server/decode/table_decoders.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "kernels/util/status_macros.h"
#include "server/decode/encoding_decoder.h"
#include "server/decode/field_checks.h"
#include "server/decode/tensor_codec.h"

namespace attnserve {
namespace {

absl::StatusOr<std::vector<int64_t>> DecodePositions(
    const google::protobuf::RepeatedField<int64_t>& positions) {
  for (int i = 0; i < positions.size(); ++i) {
    ATTN_RETURN_IF_ERROR(
        CheckPosition(positions[i], kMaxPosition, absl::StrCat("positions[", i, "]")));
  }
  return std::vector<int64_t>(positions.begin(), positions.end());
}

int64_t LengthOf(const std::vector<int64_t>& positions) {
  return positions.empty() ? 0 : *std::max_element(positions.begin(), positions.end()) + 1;
}

absl::StatusOr<std::optional<TensorView>> DecodeOptionalSequence(const v1::RotaryRequest& request,
                                                                 bool is_query) {
  if (!(is_query ? request.has_query() : request.has_key())) return std::nullopt;
  absl::StatusOr<TensorView> tensor =
      is_query ? DecodeTensor(request.query(), "query", {"batch", "seq", "heads", "head_dim"})
               : DecodeTensor(request.key(), "key", {"batch", "seq", "kv_heads", "head_dim"});
  if (!tensor.ok()) return tensor.status();
  return std::optional<TensorView>(std::move(*tensor));
}

}  // namespace

absl::StatusOr<DecodedRotary> DecodeRotaryRequest(const v1::RotaryRequest& request,
                                                  const RequestLimits& limits) {
  // The response holds the same tensors as the request, so it fits whatever the request did.
  DecodedRotary decoded;
  absl::StatusOr<std::optional<TensorView>> query = DecodeOptionalSequence(request, true);
  if (!query.ok()) return query.status();
  absl::StatusOr<std::optional<TensorView>> key = DecodeOptionalSequence(request, false);
  if (!key.ok()) return key.status();
  if (!*query && !*key) {
    return absl::InvalidArgumentError("query and key are both absent: at least one is required");
  }
  if (*query && *key) {
    const char* names[] = {"batch", "seq", "", "head_dim"};
    for (int d : {0, 1, 3}) {
      if ((**key).shape[d] != (**query).shape[d]) {
        return absl::InvalidArgumentError(
            absl::StrCat("key.shape[", d, "]=", (**key).shape[d], " must equal query.shape[", d,
                         "]=", (**query).shape[d], " (", names[d], ")"));
      }
    }
  }
  for (const auto& [name, tensor] : {std::pair{"query", &*query}, std::pair{"key", &*key}}) {
    if (!*tensor) continue;
    ATTN_RETURN_IF_ERROR(CheckTensorElements(**tensor, name, limits));
    ATTN_RETURN_IF_ERROR(CheckFinite(**tensor, name));
  }
  const TensorView& any = *query ? **query : **key;
  const int64_t seq = any.shape[1];
  absl::StatusOr<RotarySpec> rotary = DecodeRotary(request.rotary(), any.shape[3], "rotary");
  if (!rotary.ok()) return rotary.status();
  absl::StatusOr<std::vector<int64_t>> positions = DecodePositions(request.positions());
  if (!positions.ok()) return positions.status();
  if (positions->empty()) {
    positions->resize(seq);
    std::iota(positions->begin(), positions->end(), 0);
  } else if (static_cast<int64_t>(positions->size()) != seq) {
    return absl::InvalidArgumentError(absl::StrCat("positions has ", positions->size(),
                                                   " entries, must have seq=", seq, " (or none)"));
  }
  ATTN_RETURN_IF_ERROR(CheckRotaryIsFinite(*rotary, LengthOf(*positions), "rotary"));
  decoded.query = std::move(*query);
  decoded.key = std::move(*key);
  decoded.rotary = std::move(*rotary);
  decoded.request_length = LengthOf(*positions);
  decoded.positions = std::move(*positions);
  return decoded;
}

absl::StatusOr<DecodedRotaryTable> DecodeRotaryTableRequest(const v1::RotaryTableRequest& request,
                                                            const RequestLimits& limits) {
  if (request.head_dim() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("head_dim=", request.head_dim(), " must be >= 2"));
  }
  DecodedRotaryTable decoded;
  absl::StatusOr<RotarySpec> rotary = DecodeRotary(request.rotary(), request.head_dim(), "rotary");
  if (!rotary.ok()) return rotary.status();
  absl::StatusOr<std::vector<int64_t>> positions = DecodePositions(request.positions());
  if (!positions.ok()) return positions.status();
  const int64_t half = rotary->rotary_dim / 2;
  const int64_t rows = static_cast<int64_t>(positions->size());
  // float32 cos and sin tables, and the double inverse frequencies. Checked before anything
  // is computed: the finiteness check below builds the frequencies (a fuzzer found 8 GiB
  // allocated for head_dim=2^31-2 when it came first).
  ATTN_RETURN_IF_ERROR(CheckResponseBytes(
      ResponseTensorBytes({{rows, half, 4}, {rows, half, 4}, {half, 8}}), limits));
  ATTN_RETURN_IF_ERROR(CheckRotaryIsFinite(*rotary, LengthOf(*positions), "rotary"));
  decoded.rotary = std::move(*rotary);
  decoded.request_length = LengthOf(*positions);
  decoded.positions = std::move(*positions);
  return decoded;
}

absl::StatusOr<DecodedAlibi> DecodeAlibiRequest(const v1::AlibiRequest& request,
                                                const RequestLimits& limits) {
  if (request.num_heads() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_heads=", request.num_heads(), " must be >= 1"));
  }
  DecodedAlibi decoded;
  decoded.num_heads = request.num_heads();
  absl::StatusOr<double> max_bias = DecodeMaxBias(request.max_bias(), "max_bias");
  if (!max_bias.ok()) return max_bias.status();
  decoded.alibi.max_bias = *max_bias;
  ATTN_RETURN_IF_ERROR(CheckNonNegative(request.query_length(), "query_length", "no bias matrix"));
  ATTN_RETURN_IF_ERROR(CheckNonNegative(request.key_length(), "key_length", "no bias matrix"));
  ATTN_RETURN_IF_ERROR(CheckNonNegative(request.training_length(), "training_length", "off"));
  decoded.alibi.training_length = request.training_length();
  decoded.query_length = request.query_length();
  decoded.key_length = request.key_length();
  const bool with_bias = decoded.query_length > 0 && decoded.key_length > 0;
  const std::optional<int64_t> bytes = ResponseTensorBytes(
      {{decoded.num_heads, 4},
       {with_bias ? decoded.num_heads : 0, decoded.query_length, decoded.key_length, 4}});
  ATTN_RETURN_IF_ERROR(CheckResponseBytes(bytes, limits));
  return decoded;
}

absl::StatusOr<DecodedSinusoidal> DecodeSinusoidalRequest(const v1::SinusoidalRequest& request,
                                                          const RequestLimits& limits) {
  DecodedSinusoidal decoded;
  if (request.dim() < 2 || request.dim() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dim=", request.dim(), " must be even and >= 2"));
  }
  // The handler builds one row of dim values even for an empty table, so dim has a limit of
  // its own (a fuzzer found 16 GiB allocated for dim=2^31-2 with no positions).
  if (request.dim() > limits.max_tensor_elements) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "dim=", request.dim(), " is over max_tensor_elements=", limits.max_tensor_elements));
  }
  decoded.dim = request.dim();
  absl::StatusOr<double> theta = DecodeTheta(request.theta(), "theta");
  if (!theta.ok()) return theta.status();
  decoded.theta = *theta;
  absl::StatusOr<std::vector<int64_t>> positions = DecodePositions(request.positions());
  if (!positions.ok()) return positions.status();
  ATTN_RETURN_IF_ERROR(CheckResponseBytes(
      ResponseTensorBytes({{static_cast<int64_t>(positions->size()), decoded.dim, 4}}), limits));
  decoded.positions = std::move(*positions);
  return decoded;
}

}  // namespace attnserve
