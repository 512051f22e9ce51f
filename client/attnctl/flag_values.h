// Turning flag strings into typed values: comma-separated lists and dtype names. Errors name the
// flag and say what was expected (attnctl reports them as usage errors). Pure functions.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_FLAG_VALUES_H_
#define ATTNSERVE_CLIENT_ATTNCTL_FLAG_VALUES_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kernels/api/data_type.h"

namespace attnserve::attnctl {

// "0,5,70000" -> {0, 5, 70000}; "" -> {}.
absl::StatusOr<std::vector<int64_t>> ParseInt64List(absl::string_view text, absl::string_view flag);
// "1,1.5,2e-1" -> {1, 1.5, 0.2}; "" -> {}.
absl::StatusOr<std::vector<double>> ParseDoubleList(absl::string_view text, absl::string_view flag);

// "float32", "float16" or "bfloat16"; `allow_empty` makes "" mean nullopt.
absl::StatusOr<std::optional<DataType>> ParseDataType(absl::string_view text,
                                                      absl::string_view flag, bool allow_empty);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_FLAG_VALUES_H_
