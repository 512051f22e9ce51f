// The rotation at the heart of RoPE, for one pair of elements (docs/encodings.md section 1).
// `Layout` picks which two elements of a head vector form pair i.
#ifndef ATTNSERVE_KERNELS_MATH_ROTARY_PAIR_H_
#define ATTNSERVE_KERNELS_MATH_ROTARY_PAIR_H_

#include <cmath>
#include <cstdint>

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

// Where element `dim` (< rotary_dim) of a head vector sits in its pair: kernels that give each
// thread single elements rotate them one at a time with RotatedElement.
struct RotaryElement {
  int pair;
  int partner;  // the other element of the pair
  bool first;   // the pair's x_a
};

template <RotaryLayout Layout>
ATTN_HOST_DEVICE RotaryElement RotaryElementOf(int dim, int rotary_dim) {
  if constexpr (Layout == RotaryLayout::kInterleaved) {
    return {dim / 2, dim ^ 1, dim % 2 == 0};
  } else {
    const int half = rotary_dim / 2;
    return dim < half ? RotaryElement{dim, dim + half, true}
                      : RotaryElement{dim - half, dim - half, false};
  }
}

// One element of RotatePair: x_a c - x_b s for the first, x_b c + x_a s for the second.
template <typename Compute>
ATTN_HOST_DEVICE Compute RotatedElement(Compute value, Compute partner, bool first,
                                        Compute cos_value, Compute sin_value) {
  return first ? value * cos_value - partner * sin_value : value * cos_value + partner * sin_value;
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

// a cos(theta) and a sin(theta) for theta = position * inv_freq, in double (exact positions up
// to 2^53; float angles lose whole radians at long contexts). Host tables and device tables
// are both built from it.
struct CosSin {
  double cos;
  double sin;
};

ATTN_HOST_DEVICE CosSin RotaryCosSin(int64_t position, double inv_freq, double attention_factor) {
  const double angle = static_cast<double>(position) * inv_freq;
  return {attention_factor * cos(angle), attention_factor * sin(angle)};
}

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_MATH_ROTARY_PAIR_H_
