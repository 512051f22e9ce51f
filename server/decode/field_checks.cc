#include "server/decode/field_checks.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace attnserve {

absl::Status CheckPositive(double value, absl::string_view field) {
  if (value > 0 && std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, "=", value, " must be finite and > 0"));
}

absl::Status CheckNonNegative(double value, absl::string_view field, absl::string_view zero_means) {
  if (value >= 0 && std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, "=", value, " must be finite and >= 0 (0 means ", zero_means, ")"));
}

absl::Status CheckNonNegative(int64_t value, absl::string_view field,
                              absl::string_view zero_means) {
  if (value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, "=", value, " must be >= 0 (0 means ", zero_means, ")"));
}

absl::Status CheckPosition(int64_t position, int64_t limit, absl::string_view field) {
  if (position < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, "=", position, " must be >= 0"));
  }
  if (position > limit) {
    return absl::InvalidArgumentError(absl::StrCat(field, "=", position, " must be <= ", limit,
                                                   " (positions must stay exact in double)"));
  }
  return absl::OkStatus();
}

}  // namespace attnserve
