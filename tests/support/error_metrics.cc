#include "tests/support/error_metrics.h"

#include <cmath>
#include <limits>

namespace attnserve::testing {

double RelativeL2Error(std::span<const double> actual, std::span<const double> expected) {
  if (actual.size() != expected.size()) return std::numeric_limits<double>::infinity();
  double error = 0;
  double norm = 0;
  for (size_t n = 0; n < expected.size(); ++n) {
    if (std::isinf(expected[n]) && expected[n] < 0) {
      if (!(std::isinf(actual[n]) && actual[n] < 0)) return std::numeric_limits<double>::infinity();
      continue;
    }
    if (!std::isfinite(actual[n])) return std::numeric_limits<double>::infinity();
    error += (actual[n] - expected[n]) * (actual[n] - expected[n]);
    norm += expected[n] * expected[n];
  }
  if (norm == 0) return error == 0 ? 0 : std::numeric_limits<double>::infinity();
  return std::sqrt(error / norm);
}

}  // namespace attnserve::testing
