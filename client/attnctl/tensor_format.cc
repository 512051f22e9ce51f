#include "client/attnctl/tensor_format.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace attnserve::attnctl {
namespace {

template <typename T>
std::string FormatAny(std::span<const T> values, size_t max_count, int digits) {
  const size_t shown = std::min(values.size(), max_count);
  std::string text =
      absl::StrJoin(values.subspan(0, shown), ", ", [digits](std::string* out, T value) {
        absl::StrAppend(out, absl::StrFormat("%.*g", digits, static_cast<double>(value)));
      });
  if (shown < values.size()) absl::StrAppend(&text, ", ... (", values.size(), " values)");
  return absl::StrCat("[", text, "]");
}

}  // namespace

std::string FormatShape(std::span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

std::string FormatValues(std::span<const float> values, size_t max_count, int digits) {
  return FormatAny(values, max_count, digits);
}

std::string FormatValues(std::span<const double> values, size_t max_count, int digits) {
  return FormatAny(values, max_count, digits);
}

std::string SummarizeValues(std::span<const float> values) {
  double sum = 0;
  double sum_of_squares = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -min;
  size_t finite = 0;
  for (float value : values) {
    if (!std::isfinite(value)) continue;
    ++finite;
    sum += value;
    sum_of_squares += static_cast<double>(value) * value;
    min = std::min<double>(min, value);
    max = std::max<double>(max, value);
  }
  std::string text;
  if (finite > 0) {
    const double mean = sum / finite;
    const double variance = std::max(0.0, sum_of_squares / finite - mean * mean);
    // + 0.0 prints a -0 extreme (ALiBi's diagonal) as 0.
    text = absl::StrFormat("mean %.6g std %.6g min %.6g max %.6g", mean + 0.0, std::sqrt(variance),
                           min + 0.0, max + 0.0);
  } else {
    text = "no finite values";
  }
  if (finite < values.size()) absl::StrAppend(&text, " (", values.size() - finite, " non-finite)");
  return text;
}

}  // namespace attnserve::attnctl
