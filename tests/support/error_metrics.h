// How tests measure numerical agreement with the float64 reference.
#ifndef ATTNSERVE_TESTS_SUPPORT_ERROR_METRICS_H_
#define ATTNSERVE_TESTS_SUPPORT_ERROR_METRICS_H_

#include <span>

namespace attnserve::testing {

// ||actual - expected||_2 / ||expected||_2. Entries where expected is -inf (lse of a row with
// no visible key) must be -inf in actual too, else the error is +inf; they are then skipped.
double RelativeL2Error(std::span<const double> actual, std::span<const double> expected);

// Contract tolerances: fp32 results < 1e-5, fp16/bf16 < 1e-2 (relative L2).
inline constexpr double kFloat32Tolerance = 1e-5;
inline constexpr double kHalfTolerance = 1e-2;

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_ERROR_METRICS_H_
