#include "kernels/encoding/rotary_apply.h"

#include "kernels/math/rotary_pair.h"

namespace attnserve {
namespace {

template <RotaryLayout Layout, typename T>
void RotateVector(T* vector, int rotary_dim, const double* cos_row, const double* sin_row) {
  for (int pair = 0; pair < rotary_dim / 2; ++pair) {
    const RotaryPairIndex index = RotaryPairOf<Layout>(pair, rotary_dim);
    RotatePair<double>(vector[index.first], vector[index.second], cos_row[pair], sin_row[pair]);
  }
}

template <RotaryLayout Layout, typename T>
void ApplyWithLayout(std::span<T> data, const SequenceDims& dims,
                     const RotaryFrequencies& frequencies, const SequencePositions& positions) {
  const int half = frequencies.rotary_dim / 2;
  std::vector<double> cos_row(half), sin_row(half);
  for (int64_t b = 0; b < dims.batch; ++b) {
    const int64_t offset = positions.batch_offsets.empty() ? 0 : positions.batch_offsets[b];
    for (int64_t s = 0; s < dims.seq; ++s) {
      ComputeRotaryRow(frequencies, offset + positions.seq_positions[s], cos_row.data(),
                       sin_row.data());
      T* row = data.data() + (b * dims.seq + s) * dims.heads * dims.head_dim;
      for (int64_t h = 0; h < dims.heads; ++h) {
        RotateVector<Layout>(row + h * dims.head_dim, frequencies.rotary_dim, cos_row.data(),
                             sin_row.data());
      }
    }
  }
}

}  // namespace

template <typename T>
void ApplyRotaryInPlace(std::span<T> data, const SequenceDims& dims,
                        const RotaryFrequencies& frequencies, const SequencePositions& positions) {
  if (frequencies.interleaved) {
    ApplyWithLayout<RotaryLayout::kInterleaved>(data, dims, frequencies, positions);
  } else {
    ApplyWithLayout<RotaryLayout::kHalfSplit>(data, dims, frequencies, positions);
  }
}

template void ApplyRotaryInPlace<float>(std::span<float>, const SequenceDims&,
                                        const RotaryFrequencies&, const SequencePositions&);
template void ApplyRotaryInPlace<double>(std::span<double>, const SequenceDims&,
                                         const RotaryFrequencies&, const SequencePositions&);

}  // namespace attnserve
