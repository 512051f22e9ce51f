// Decoders of the encoding-table RPCs (ApplyRotary, GetRotaryTable, GetAlibiSlopes,
// GetSinusoidalTable): validated requests with defaults applied and their response sizes
// checked against the limits. Views point into the request, which must outlive them.
#ifndef ATTNSERVE_SERVER_DECODE_TABLE_DECODERS_H_
#define ATTNSERVE_SERVER_DECODE_TABLE_DECODERS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/api/encoding_spec.h"
#include "kernels/api/tensor_view.h"
#include "server/decode/request_limits.h"

namespace attnserve {

struct DecodedRotary {
  std::optional<TensorView> query;  // [batch, seq, heads, head_dim]
  std::optional<TensorView> key;    // [batch, seq, kv_heads, head_dim]
  RotarySpec rotary;
  std::vector<int64_t> positions;  // seq entries (0 .. seq - 1 when the request had none)
  int64_t request_length = 0;      // max(positions) + 1
};
// The response holds the same tensors as the request, so only max_tensor_elements applies.
absl::StatusOr<DecodedRotary> DecodeRotaryRequest(const v1::RotaryRequest& request,
                                                  const RequestLimits& limits);

struct DecodedRotaryTable {
  RotarySpec rotary;
  std::vector<int64_t> positions;
  int64_t request_length = 0;  // max(positions) + 1, 0 when there are none
};
absl::StatusOr<DecodedRotaryTable> DecodeRotaryTableRequest(const v1::RotaryTableRequest& request,
                                                            const RequestLimits& limits);

struct DecodedAlibi {
  int64_t num_heads = 0;
  AlibiSpec alibi;           // computed slopes (max_bias) with interpolation settings
  int64_t query_length = 0;  // the bias matrix is returned when both lengths are > 0
  int64_t key_length = 0;
};
absl::StatusOr<DecodedAlibi> DecodeAlibiRequest(const v1::AlibiRequest& request,
                                                const RequestLimits& limits);

struct DecodedSinusoidal {
  int dim = 0;
  double theta = 10000;
  std::vector<int64_t> positions;
};
absl::StatusOr<DecodedSinusoidal> DecodeSinusoidalRequest(const v1::SinusoidalRequest& request,
                                                          const RequestLimits& limits);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_DECODE_TABLE_DECODERS_H_
