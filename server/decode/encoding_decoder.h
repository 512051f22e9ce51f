// proto RotaryEncoding / AlibiEncoding -> kernels RotarySpec / AlibiSpec: every rule of
// docs/encodings.md sections 1-3 checked, every "0 means" default applied. `field` is the
// path of the message in its request ("encoding.rotary" or "rotary") and prefixes every error.
#ifndef ATTNSERVE_SERVER_DECODE_ENCODING_DECODER_H_
#define ATTNSERVE_SERVER_DECODE_ENCODING_DECODER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/api/encoding_spec.h"

namespace attnserve {

absl::StatusOr<RotarySpec> DecodeRotary(const v1::RotaryEncoding& rotary, int64_t head_dim,
                                        absl::string_view field);

absl::StatusOr<AlibiSpec> DecodeAlibi(const v1::AlibiEncoding& alibi, int64_t num_heads,
                                      absl::string_view field);

// The rules a spec cannot be judged by alone: its inverse frequencies and attention factor
// for this request length must be finite (extreme but positive factors can overflow them).
absl::Status CheckRotaryIsFinite(const RotarySpec& spec, int64_t request_length,
                                 absl::string_view field);

// theta of the API (0 means 10000, else finite and > 1) -> the value to use.
absl::StatusOr<double> DecodeTheta(double theta, absl::string_view field);

// max_bias of the API (0 means 8) -> the value to use.
absl::StatusOr<double> DecodeMaxBias(double max_bias, absl::string_view field);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_DECODE_ENCODING_DECODER_H_
