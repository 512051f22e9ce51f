#include "client/cpp/tensors.h"

#include "absl/strings/str_cat.h"
#include "kernels/numeric/tensor_convert.h"
#include "server/decode/tensor_codec.h"

namespace attnserve {

v1::Tensor MakeTensor(DataType dtype, const std::vector<int64_t>& shape,
                      std::span<const float> values) {
  v1::Tensor tensor;
  StoreFloats(values, AllocateTensor(tensor, dtype, shape));
  return tensor;
}

absl::StatusOr<std::vector<float>> TensorValues(const v1::Tensor& tensor) {
  absl::StatusOr<DataType> dtype = DecodeDataType(tensor.dtype(), "tensor.dtype");
  if (!dtype.ok()) return dtype.status();
  const std::vector<int64_t> shape(tensor.shape().begin(), tensor.shape().end());
  int64_t bytes = static_cast<int64_t>(SizeOf(*dtype));
  for (int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(bytes, dim, &bytes)) {
      return absl::InvalidArgumentError("tensor.shape has a negative or overflowing dim");
    }
  }
  if (tensor.data().size() != static_cast<size_t>(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor.data has ", tensor.data().size(), " bytes, its shape needs ", bytes));
  }
  return ToFloatVector({*dtype, shape, reinterpret_cast<const std::byte*>(tensor.data().data())});
}

}  // namespace attnserve
