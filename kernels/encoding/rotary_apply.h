// Applies RoPE to [batch, seq, heads, head_dim] buffers in place: cos/sin are computed once per
// (batch, position) in double and applied to every head. Used by ApplyRotary and by the
// attention backends. Thread-safe for distinct buffers.
#ifndef ATTNSERVE_KERNELS_ENCODING_ROTARY_APPLY_H_
#define ATTNSERVE_KERNELS_ENCODING_ROTARY_APPLY_H_

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/encoding/rotary_frequencies.h"

namespace attnserve {

struct SequenceDims {
  int64_t batch = 0;
  int64_t seq = 0;
  int64_t heads = 0;
  int64_t head_dim = 0;
};

// Element (b, s) sits at position batch_offsets[b] + seq_positions[s].
struct SequencePositions {
  std::vector<int64_t> batch_offsets;  // empty means 0 for every batch element
  std::vector<int64_t> seq_positions;  // seq entries
};

// Rotates dims [0, rotary_dim) of every head vector; the rest pass through untouched.
// Products are formed in double and rounded once to T.
template <typename T>
void ApplyRotaryInPlace(std::span<T> data, const SequenceDims& dims,
                        const RotaryFrequencies& frequencies, const SequencePositions& positions);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_ENCODING_ROTARY_APPLY_H_
