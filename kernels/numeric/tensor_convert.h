// Moves tensor elements between their wire dtype and float/double working buffers. Thread-safe
// (no shared state); the views must be valid for the duration of the call.
#ifndef ATTNSERVE_KERNELS_NUMERIC_TENSOR_CONVERT_H_
#define ATTNSERVE_KERNELS_NUMERIC_TENSOR_CONVERT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/api/data_type.h"
#include "kernels/api/tensor_view.h"

namespace attnserve {

// Reads element `index` of `data` (of `dtype`) as a float. Exact: every 16-bit value is a float.
float LoadElement(DataType dtype, const std::byte* data, int64_t index);

// Writes `value` as element `index` of `data`, rounding to nearest-even for 16-bit dtypes.
void StoreElement(DataType dtype, std::byte* data, int64_t index, float value);

// All elements of `tensor`, converted exactly.
std::vector<float> ToFloatVector(const TensorView& tensor);
std::vector<double> ToDoubleVector(const TensorView& tensor);

// Writes `values` (one per element of `tensor`) into it in its dtype.
void StoreFloats(std::span<const float> values, const MutableTensorView& tensor);

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_NUMERIC_TENSOR_CONVERT_H_
