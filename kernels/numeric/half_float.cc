#include "kernels/numeric/half_float.h"

#include <bit>
#include <cstdint>

namespace attnserve {
namespace {

constexpr uint32_t kFloatSignMask = 0x80000000u;
constexpr uint32_t kFloatExponentMask = 0x7f800000u;
constexpr uint32_t kFloatMantissaMask = 0x007fffffu;

// Shifts `value` right by `shift` bits, rounding to nearest with ties to even.
uint32_t ShiftRightRoundingToEven(uint32_t value, int shift) {
  const uint32_t halfway = 1u << (shift - 1);
  const uint32_t remainder = value & ((1u << shift) - 1);
  uint32_t result = value >> shift;
  if (remainder > halfway || (remainder == halfway && (result & 1u))) ++result;
  return result;
}

}  // namespace

float HalfBitsToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) {  // infinity or NaN
    return std::bit_cast<float>(sign | kFloatExponentMask | (mantissa << 13));
  }
  if (exponent != 0) {  // normal: rebias 15 -> 127
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }
  if (mantissa == 0) return std::bit_cast<float>(sign);
  // Subnormal half: normalize; every one is a normal float.
  int float_exponent = 113;
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --float_exponent;
  }
  mantissa &= 0x3ffu;
  return std::bit_cast<float>(sign | (static_cast<uint32_t>(float_exponent) << 23) |
                              (mantissa << 13));
}

uint16_t FloatToHalfBits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits & kFloatSignMask) >> 16);
  const uint32_t exponent = (bits & kFloatExponentMask) >> 23;
  const uint32_t mantissa = bits & kFloatMantissaMask;
  if (exponent == 0xff) {  // infinity stays infinity; NaN becomes a quiet NaN
    return sign | (mantissa != 0 ? 0x7e00u : 0x7c00u);
  }
  const int unbiased = static_cast<int>(exponent) - 127;
  if (unbiased > 15) return sign | 0x7c00u;  // overflow to infinity
  if (unbiased >= -14) {
    // Normal half. Rounding may carry into the exponent, and from the largest finite value
    // into infinity, which is exactly the right answer in both cases.
    const uint32_t combined = (static_cast<uint32_t>(unbiased + 15) << 23) | mantissa;
    return sign | static_cast<uint16_t>(ShiftRightRoundingToEven(combined, 13));
  }
  if (unbiased < -25) return sign;  // below half the smallest subnormal: rounds to zero
  // Subnormal half: value = full_mantissa * 2^(unbiased - 23), target unit 2^-24.
  const uint32_t full_mantissa = mantissa | 0x800000u;
  const int shift = -unbiased - 1;  // 14 .. 24
  return sign | static_cast<uint16_t>(ShiftRightRoundingToEven(full_mantissa, shift));
}

float BFloat16BitsToFloat(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

uint16_t FloatToBFloat16Bits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & kFloatExponentMask) == kFloatExponentMask && (bits & kFloatMantissaMask) != 0) {
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);  // quiet NaN, sign kept
  }
  return static_cast<uint16_t>(ShiftRightRoundingToEven(bits, 16));
}

}  // namespace attnserve
