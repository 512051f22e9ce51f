// ApplyRotary, GetRotaryTable, GetAlibiSlopes and GetSinusoidalTable: the encoding math exposed
// directly, from the same kernels functions the attention backends use. ApplyRotary runs on the
// server's default backend when it has a RoPE kernel (cuda), else on the host.
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "kernels/encoding/alibi_slopes.h"
#include "kernels/encoding/rotary_apply.h"
#include "kernels/encoding/rotary_frequencies.h"
#include "kernels/encoding/sinusoidal.h"
#include "kernels/numeric/tensor_convert.h"
#include "server/decode/table_decoders.h"
#include "server/decode/tensor_codec.h"
#include "server/handlers/request_handlers.h"

namespace attnserve {
namespace {

// Rotates `input` into `output` in its own dtype: on `backend` when it has a RoPE kernel,
// else on the host, with products in double rounded to float and then, for 16-bit dtypes, to the
// dtype (two roundings; the second dominates).
absl::Status RotateTensor(const Backend& backend, const TensorView& input,
                          const RotaryFrequencies& frequencies,
                          const std::vector<int64_t>& positions, v1::Tensor& output) {
  const MutableTensorView rotated = AllocateTensor(output, input.dtype, input.shape);
  std::memcpy(rotated.data, input.data, input.num_elements() * SizeOf(input.dtype));
  const absl::Status status = backend.ApplyRotary(frequencies, positions, rotated);
  if (!absl::IsUnimplemented(status)) return status;
  std::vector<float> values = ToFloatVector(input);
  ApplyRotaryInPlace<float>(values,
                            {input.shape[0], input.shape[1], input.shape[2], input.shape[3]},
                            frequencies, {{}, positions});
  StoreFloats(values, rotated);
  return absl::OkStatus();
}

}  // namespace

absl::Status RequestHandlers::ApplyRotary(const v1::RotaryRequest& request,
                                          v1::RotaryResponse& response) const {
  absl::StatusOr<DecodedRotary> decoded = DecodeRotaryRequest(request, limits_);
  if (!decoded.ok()) return decoded.status();
  absl::StatusOr<BackendRegistry::Selected> backend = backends_.Select("");
  if (!backend.ok()) return backend.status();
  const RotaryFrequencies frequencies =
      ComputeRotaryFrequencies(decoded->rotary, decoded->request_length);
  if (decoded->query) {
    absl::Status status = RotateTensor(*backend->backend, *decoded->query, frequencies,
                                       decoded->positions, *response.mutable_query());
    if (!status.ok()) return status;
  }
  if (decoded->key) {
    return RotateTensor(*backend->backend, *decoded->key, frequencies, decoded->positions,
                        *response.mutable_key());
  }
  return absl::OkStatus();
}

absl::Status RequestHandlers::GetRotaryTable(const v1::RotaryTableRequest& request,
                                             v1::RotaryTable& response) const {
  absl::StatusOr<DecodedRotaryTable> decoded = DecodeRotaryTableRequest(request, limits_);
  if (!decoded.ok()) return decoded.status();
  const RotaryFrequencies frequencies =
      ComputeRotaryFrequencies(decoded->rotary, decoded->request_length);
  response.mutable_inv_freq()->Assign(frequencies.inv_freq.begin(), frequencies.inv_freq.end());
  response.set_attention_factor(frequencies.attention_factor);

  const int64_t rows = static_cast<int64_t>(decoded->positions.size());
  const int64_t half = static_cast<int64_t>(frequencies.inv_freq.size());
  const MutableTensorView cos_table =
      AllocateTensor(*response.mutable_cos(), DataType::kFloat32, {rows, half});
  const MutableTensorView sin_table =
      AllocateTensor(*response.mutable_sin(), DataType::kFloat32, {rows, half});
  std::vector<double> cos_row(half), sin_row(half);
  for (int64_t r = 0; r < rows; ++r) {
    ComputeRotaryRow(frequencies, decoded->positions[r], cos_row.data(), sin_row.data());
    for (int64_t i = 0; i < half; ++i) {
      StoreElement(DataType::kFloat32, cos_table.data, r * half + i,
                   static_cast<float>(cos_row[i]));
      StoreElement(DataType::kFloat32, sin_table.data, r * half + i,
                   static_cast<float>(sin_row[i]));
    }
  }
  return absl::OkStatus();
}

absl::Status RequestHandlers::GetAlibiSlopes(const v1::AlibiRequest& request,
                                             v1::AlibiResponse& response) const {
  absl::StatusOr<DecodedAlibi> decoded = DecodeAlibiRequest(request, limits_);
  if (!decoded.ok()) return decoded.status();
  const std::vector<double> slopes =
      ResolveAlibiSlopes(decoded->alibi, decoded->num_heads, decoded->key_length);
  for (double slope : slopes) response.add_slopes(static_cast<float>(slope));
  if (decoded->query_length == 0 || decoded->key_length == 0) return absl::OkStatus();

  const int64_t queries = decoded->query_length;
  const int64_t keys = decoded->key_length;
  const MutableTensorView bias = AllocateTensor(*response.mutable_bias(), DataType::kFloat32,
                                                {decoded->num_heads, queries, keys});
  int64_t n = 0;
  for (int64_t h = 0; h < decoded->num_heads; ++h) {
    for (int64_t i = 0; i < queries; ++i) {
      const int64_t query_position = keys - queries + i;
      for (int64_t j = 0; j < keys; ++j) {
        const double distance = static_cast<double>(std::llabs(query_position - j));
        StoreElement(DataType::kFloat32, bias.data, n++, static_cast<float>(-slopes[h] * distance));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status RequestHandlers::GetSinusoidalTable(const v1::SinusoidalRequest& request,
                                                 v1::SinusoidalResponse& response) const {
  absl::StatusOr<DecodedSinusoidal> decoded = DecodeSinusoidalRequest(request, limits_);
  if (!decoded.ok()) return decoded.status();
  const int64_t rows = static_cast<int64_t>(decoded->positions.size());
  const MutableTensorView table =
      AllocateTensor(*response.mutable_table(), DataType::kFloat32, {rows, decoded->dim});
  if (rows == 0) return absl::OkStatus();  // no row buffer of `dim` doubles for nothing
  std::vector<double> row(decoded->dim);
  for (int64_t r = 0; r < rows; ++r) {
    SinusoidalRow(decoded->dim, decoded->theta, decoded->positions[r], row.data());
    for (int c = 0; c < decoded->dim; ++c) {
      StoreElement(DataType::kFloat32, table.data, r * decoded->dim + c,
                   static_cast<float>(row[c]));
    }
  }
  return absl::OkStatus();
}

}  // namespace attnserve
