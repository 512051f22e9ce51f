// Short human-readable renderings of shapes, value lists and value statistics for attnctl's
// output. Pure functions.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_TENSOR_FORMAT_H_
#define ATTNSERVE_CLIENT_ATTNCTL_TENSOR_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace attnserve::attnctl {

// "[1, 16, 8, 64]".
std::string FormatShape(std::span<const int64_t> shape);

// "[0.5, 0.25, ...]" with at most `max_count` values (then "..."), each to `digits` significant
// digits (9 is exact for float, 17 for double).
std::string FormatValues(std::span<const float> values, size_t max_count, int digits);
std::string FormatValues(std::span<const double> values, size_t max_count, int digits);

// "mean 0.0012 std 0.31 min -0.98 max 0.97" over the finite values; non-finite ones (the lse
// -inf of a row without keys) are counted, not summed.
std::string SummarizeValues(std::span<const float> values);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_TENSOR_FORMAT_H_
