#include "kernels/encoding/sinusoidal.h"

#include <cmath>

namespace attnserve {

void SinusoidalRow(int dim, double theta, int64_t position, double* out) {
  const double p = static_cast<double>(position);
  for (int i = 0; i < dim / 2; ++i) {
    const double angle = p * std::pow(theta, -2.0 * i / dim);
    out[2 * i] = std::sin(angle);
    out[2 * i + 1] = std::cos(angle);
  }
}

}  // namespace attnserve
