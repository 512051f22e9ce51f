// Bit-exact conversions between float32 and the two 16-bit formats the API carries:
// IEEE binary16 ("float16") and bfloat16. Narrowing rounds to nearest, ties to even, keeps
// infinities and turns NaN into a quiet NaN, as hardware conversions do. Pure functions.
#ifndef ATTNSERVE_KERNELS_NUMERIC_HALF_FLOAT_H_
#define ATTNSERVE_KERNELS_NUMERIC_HALF_FLOAT_H_

#include <cstdint>

namespace attnserve {

float HalfBitsToFloat(uint16_t bits);
uint16_t FloatToHalfBits(float value);

float BFloat16BitsToFloat(uint16_t bits);
uint16_t FloatToBFloat16Bits(float value);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_NUMERIC_HALF_FLOAT_H_
