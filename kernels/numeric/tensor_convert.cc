#include "kernels/numeric/tensor_convert.h"

#include <cstring>

#include "kernels/numeric/half_float.h"

namespace attnserve {

float LoadElement(DataType dtype, const std::byte* data, int64_t index) {
  switch (dtype) {
    case DataType::kFloat32: {
      float value;
      std::memcpy(&value, data + index * 4, 4);
      return value;
    }
    case DataType::kFloat16:
    case DataType::kBFloat16: {
      uint16_t bits;
      std::memcpy(&bits, data + index * 2, 2);
      return dtype == DataType::kFloat16 ? HalfBitsToFloat(bits) : BFloat16BitsToFloat(bits);
    }
  }
  return 0;
}

void StoreElement(DataType dtype, std::byte* data, int64_t index, float value) {
  switch (dtype) {
    case DataType::kFloat32:
      std::memcpy(data + index * 4, &value, 4);
      return;
    case DataType::kFloat16:
    case DataType::kBFloat16: {
      const uint16_t bits =
          dtype == DataType::kFloat16 ? FloatToHalfBits(value) : FloatToBFloat16Bits(value);
      std::memcpy(data + index * 2, &bits, 2);
      return;
    }
  }
}

namespace {

template <typename T>
std::vector<T> ToVector(const TensorView& tensor) {
  std::vector<T> values(tensor.num_elements());
  for (int64_t i = 0; i < static_cast<int64_t>(values.size()); ++i) {
    values[i] = LoadElement(tensor.dtype, tensor.data, i);
  }
  return values;
}

}  // namespace

std::vector<float> ToFloatVector(const TensorView& tensor) { return ToVector<float>(tensor); }
std::vector<double> ToDoubleVector(const TensorView& tensor) { return ToVector<double>(tensor); }

void StoreFloats(std::span<const float> values, const MutableTensorView& tensor) {
  for (int64_t i = 0; i < static_cast<int64_t>(values.size()); ++i) {
    StoreElement(tensor.dtype, tensor.data, i, values[i]);
  }
}

}  // namespace attnserve
