// The service's accuracy contract and the one way it is measured: the relative L2 error of a
// result against the float64 reference must stay below 1e-5 for float32 results (lse and
// probabilities are always float32) and 1e-2 for float16/bfloat16 outputs. Used by the tests,
// the server's start-up self-check and attnctl's verification. Pure functions.
#ifndef ATTNSERVE_KERNELS_NUMERIC_ACCURACY_H_
#define ATTNSERVE_KERNELS_NUMERIC_ACCURACY_H_

#include <span>

#include "kernels/api/data_type.h"

namespace attnserve {

inline constexpr double kFloat32Tolerance = 1e-5;
inline constexpr double kHalfTolerance = 1e-2;

// The tolerance for an output of `dtype`.
constexpr double ToleranceFor(DataType dtype) {
  return dtype == DataType::kFloat32 ? kFloat32Tolerance : kHalfTolerance;
}

// ||actual - expected||_2 / ||expected||_2. Entries where expected is -inf (lse of a row with
// no visible key) must be -inf in actual too and are then skipped. Infinity when the sizes
// differ, an actual value is not finite, or the expected norm is 0 and the actual is not.
double RelativeL2Error(std::span<const double> actual, std::span<const double> expected);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_NUMERIC_ACCURACY_H_
