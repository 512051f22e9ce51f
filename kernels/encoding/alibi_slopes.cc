#include "kernels/encoding/alibi_slopes.h"

#include <cmath>

namespace attnserve {

std::vector<double> AlibiSlopes(int64_t num_heads, double max_bias) {
  int64_t power_of_two = 1;
  while (power_of_two * 2 <= num_heads) power_of_two *= 2;
  const double n = static_cast<double>(power_of_two);
  std::vector<double> slopes(num_heads);
  for (int64_t h = 0; h < num_heads; ++h) {
    // The exponent first, then 2^(-e): e is exact for B = 8, so these slopes are too.
    const double exponent =
        h < power_of_two ? max_bias * static_cast<double>(h + 1) / n
                         : max_bias * static_cast<double>(2 * (h - power_of_two) + 1) / (2 * n);
    slopes[h] = std::exp2(-exponent);
  }
  return slopes;
}

std::vector<double> ResolveAlibiSlopes(const AlibiSpec& spec, int64_t num_heads, int64_t length) {
  std::vector<double> slopes =
      spec.slopes.empty() ? AlibiSlopes(num_heads, spec.max_bias) : spec.slopes;
  if (spec.training_length > 0 && length > spec.training_length) {
    const double scale = static_cast<double>(spec.training_length) / static_cast<double>(length);
    for (double& slope : slopes) slope *= scale;
  }
  return slopes;
}

}  // namespace attnserve
