// Inverse frequencies and attention factor of every RoPE scaling (docs/encodings.md section 2),
// computed in double on the host once per request. The one source of truth for the reference,
// CPU and CUDA backends. Pure functions; the spec must be valid (the server's decode layer
// checks every rule).
#ifndef ATTNSERVE_KERNELS_ENCODING_ROTARY_FREQUENCIES_H_
#define ATTNSERVE_KERNELS_ENCODING_ROTARY_FREQUENCIES_H_

#include <cstdint>
#include <vector>

#include "kernels/api/encoding_spec.h"

namespace attnserve {

struct RotaryFrequencies {
  std::vector<double> inv_freq;  // rotary_dim / 2 scaled inverse frequencies
  double attention_factor = 1;   // multiplies cos and sin
  int rotary_dim = 0;
  bool interleaved = false;
};

// `request_length` is L of encodings.md section 1 (1 + the largest position rotated); only
// dynamic_ntk and longrope read it.
RotaryFrequencies ComputeRotaryFrequencies(const RotarySpec& spec, int64_t request_length);

// a * cos(position * inv_freq[i]) and a * sin(...) for every pair i, angles in double.
void ComputeRotaryRow(const RotaryFrequencies& frequencies, int64_t position, double* cos_out,
                      double* sin_out);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_ENCODING_ROTARY_FREQUENCIES_H_
