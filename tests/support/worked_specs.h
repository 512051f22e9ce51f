// Builders for the rotary specs that encodings.md section 6 names (its "# name:" lines), so
// the worked-value tests spell each spec once, with the doc's field names.
#ifndef ATTNSERVE_TESTS_SUPPORT_WORKED_SPECS_H_
#define ATTNSERVE_TESTS_SUPPORT_WORKED_SPECS_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "kernels/api/encoding_spec.h"

namespace attnserve::testing {

inline RotarySpec Spec(RotaryScaling scaling, double theta = 10000, int rotary_dim = 8,
                       bool interleaved = false) {
  return {theta, rotary_dim, interleaved, std::move(scaling)};
}

// YaRN with the fields a worked spec lists; the others keep their defaults.
inline YarnScaling Yarn(double factor, int64_t original_max_position,
                        std::optional<double> mscale = std::nullopt,
                        std::optional<double> mscale_all_dim = std::nullopt, bool truncate = true) {
  YarnScaling yarn;
  yarn.factor = factor;
  yarn.original_max_position = original_max_position;
  yarn.mscale = mscale;
  yarn.mscale_all_dim = mscale_all_dim;
  yarn.truncate = truncate;
  return yarn;
}

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_WORKED_SPECS_H_
