// How many tiles (or blocks, or tasks) of `size` it takes to cover `count`; for host planning
// and device code alike.
#ifndef ATTNSERVE_KERNELS_MATH_CEIL_DIV_H_
#define ATTNSERVE_KERNELS_MATH_CEIL_DIV_H_

#include <cstdint>

#include "kernels/math/host_device.h"

namespace attnserve {

ATTN_HOST_DEVICE constexpr int64_t CeilDiv(int64_t count, int64_t size) {
  return (count + size - 1) / size;
}

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_MATH_CEIL_DIV_H_
