// The server's per-request limits, as configured by its flags. Exceeding one is
// RESOURCE_EXHAUSTED with a message naming the limit and its value.
#ifndef ATTNSERVE_SERVER_DECODE_REQUEST_LIMITS_H_
#define ATTNSERVE_SERVER_DECODE_REQUEST_LIMITS_H_

#include <cstdint>
#include <initializer_list>
#include <optional>

#include "absl/status/status.h"

namespace attnserve {

struct RequestLimits {
  int64_t max_message_bytes = int64_t{256} << 20;
  int64_t max_probability_elements = int64_t{64} << 20;
};

// The product of `factors`, or nullopt when it overflows int64.
std::optional<int64_t> CheckedProduct(std::initializer_list<int64_t> factors);

// Refuses a response carrying `bytes` of tensors (nullopt: more than int64 can count), which
// gRPC could not send under max_message_bytes.
absl::Status CheckResponseBytes(std::optional<int64_t> bytes, const RequestLimits& limits);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_DECODE_REQUEST_LIMITS_H_
