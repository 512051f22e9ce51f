// Small checks shared by the decoders. Each returns INVALID_ARGUMENT naming the field and the
// rule it broke, or OK. NaN fails every check (comparisons are written so that it does).
#ifndef ATTNSERVE_SERVER_DECODE_FIELD_CHECKS_H_
#define ATTNSERVE_SERVER_DECODE_FIELD_CHECKS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace attnserve {

// Largest position the service accepts: positions must be exact in double (encodings.md 1).
inline constexpr int64_t kMaxPosition = int64_t{1} << 53;

// value is finite and > 0.
absl::Status CheckPositive(double value, absl::string_view field);
// value is finite and >= 0; `zero_means` completes "0 means ..." in the message.
absl::Status CheckNonNegative(double value, absl::string_view field, absl::string_view zero_means);
absl::Status CheckNonNegative(int64_t value, absl::string_view field, absl::string_view zero_means);
// 0 <= position <= limit.
absl::Status CheckPosition(int64_t position, int64_t limit, absl::string_view field);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_DECODE_FIELD_CHECKS_H_
