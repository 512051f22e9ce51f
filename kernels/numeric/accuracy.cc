#include "kernels/numeric/accuracy.h"

#include <cmath>
#include <limits>

namespace attnserve {

double RelativeL2Error(std::span<const double> actual, std::span<const double> expected) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  if (actual.size() != expected.size()) return kInfinity;
  double error = 0;
  double norm = 0;
  for (size_t n = 0; n < expected.size(); ++n) {
    if (std::isinf(expected[n]) && expected[n] < 0) {
      if (!(std::isinf(actual[n]) && actual[n] < 0)) return kInfinity;
      continue;
    }
    if (!std::isfinite(actual[n])) return kInfinity;
    error += (actual[n] - expected[n]) * (actual[n] - expected[n]);
    norm += expected[n] * expected[n];
  }
  if (norm == 0) return error == 0 ? 0 : kInfinity;
  return std::sqrt(error / norm);
}

}  // namespace attnserve
