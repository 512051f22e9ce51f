// The rotation at the heart of RoPE, for one pair of elements (docs/encodings.md section 1).
// `Layout` picks which two elements of a head vector form pair i.
#ifndef ATTNSERVE_KERNELS_MATH_ROTARY_PAIR_H_
#define ATTNSERVE_KERNELS_MATH_ROTARY_PAIR_H_

#include "kernels/math/host_device.h"

namespace attnserve {

enum class RotaryLayout {
  kHalfSplit,    // pair i = (i, i + d/2): Llama / GPT-NeoX, transformers' rotate_half
  kInterleaved,  // pair i = (2i, 2i + 1): GPT-J's rotate_every_two
};

struct RotaryPairIndex {
  int first;
  int second;
};

template <RotaryLayout Layout>
ATTN_HOST_DEVICE RotaryPairIndex RotaryPairOf(int pair, int rotary_dim) {
  if constexpr (Layout == RotaryLayout::kInterleaved) {
    return {2 * pair, 2 * pair + 1};
  } else {
    return {pair, pair + rotary_dim / 2};
  }
}

// (x_a, x_b) -> (x_a c - x_b s, x_b c + x_a s), where c and s already carry the attention
// factor. `Compute` is the precision the products are formed in.
template <typename Compute, typename T>
ATTN_HOST_DEVICE void RotatePair(T& first, T& second, Compute cos_value, Compute sin_value) {
  const Compute a = static_cast<Compute>(first);
  const Compute b = static_cast<Compute>(second);
  first = static_cast<T>(a * cos_value - b * sin_value);
  second = static_cast<T>(b * cos_value + a * sin_value);
}

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_MATH_ROTARY_PAIR_H_
