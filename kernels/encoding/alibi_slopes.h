// ALiBi slopes (docs/encodings.md section 3): the paper's formula for any head count, explicit
// slopes, and linear interpolation past the training length. Pure functions.
#ifndef ATTNSERVE_KERNELS_ENCODING_ALIBI_SLOPES_H_
#define ATTNSERVE_KERNELS_ENCODING_ALIBI_SLOPES_H_

#include <cstdint>
#include <vector>

#include "kernels/api/encoding_spec.h"

namespace attnserve {

// Slopes of `num_heads` query heads for `max_bias` B: with n the largest power of two <= heads,
// 2^(-B (h+1) / n) for h < n, then 2^(-B (2 (h - n) + 1) / (2n)).
std::vector<double> AlibiSlopes(int64_t num_heads, double max_bias);

// The slopes a request uses: explicit or computed, times training_length / length when
// interpolation is on and `length` (the request length L) exceeds the training length.
std::vector<double> ResolveAlibiSlopes(const AlibiSpec& spec, int64_t num_heads, int64_t length);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_ENCODING_ALIBI_SLOPES_H_
