// The absolute sinusoidal table of "Attention Is All You Need" (docs/encodings.md section 4), in
// the paper's interleaved order. Pure function.
#ifndef ATTNSERVE_KERNELS_ENCODING_SINUSOIDAL_H_
#define ATTNSERVE_KERNELS_ENCODING_SINUSOIDAL_H_

#include <cstdint>

namespace attnserve {

// Writes `dim` values (dim even): out[2i] = sin(p w_i), out[2i+1] = cos(p w_i), w_i =
// theta^(-2i/dim), angles in double.
void SinusoidalRow(int dim, double theta, int64_t position, double* out);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_ENCODING_SINUSOIDAL_H_
