// The server's per-request limits, as configured by its flags, and the size arithmetic that
// enforces them. Exceeding a limit is RESOURCE_EXHAUSTED with a message naming the limit and
// its value. Every size is computed with overflow checks: request fields are untrusted.
#ifndef ATTNSERVE_SERVER_DECODE_REQUEST_LIMITS_H_
#define ATTNSERVE_SERVER_DECODE_REQUEST_LIMITS_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "kernels/api/tensor_view.h"

namespace attnserve {

struct RequestLimits {
  int64_t max_message_bytes = int64_t{256} << 20;
  int64_t max_probability_elements = int64_t{64} << 20;
  int64_t max_tensor_elements = int64_t{1} << 27;
  // batch * heads * q_len * kv_len: about 2e12 FLOPs at d=128, minutes on a small CPU.
  int64_t max_attention_work = int64_t{1} << 32;

  // No limit at all: for clients decoding their own requests locally (verification), where
  // the server, not the client, decides what is too large.
  static RequestLimits Unlimited() {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    return {kMax, kMax, kMax, kMax};
  }
};

// Room left in max_message_bytes for what surrounds the tensors (tags, shapes, strings).
inline constexpr int64_t kMessageOverheadBytes = 4096;

// Refuses a request tensor with more than max_tensor_elements elements, naming `field`.
absl::Status CheckTensorElements(const TensorView& tensor, absl::string_view field,
                                 const RequestLimits& limits);

// The product of `factors`, or nullopt when it overflows int64.
std::optional<int64_t> CheckedProduct(std::initializer_list<int64_t> factors);

// The bytes of a response's tensors, each given as its dims followed by its element size
// ({rows, columns, 4} for a float32 matrix), or nullopt when the total overflows int64.
std::optional<int64_t> ResponseTensorBytes(
    std::initializer_list<std::initializer_list<int64_t>> tensors);

// Refuses a response whose tensors (nullopt: more than int64 can count) would not fit in
// max_message_bytes with kMessageOverheadBytes to spare, which gRPC could not send.
absl::Status CheckResponseBytes(std::optional<int64_t> bytes, const RequestLimits& limits);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_DECODE_REQUEST_LIMITS_H_
