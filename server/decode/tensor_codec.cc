#include "server/decode/tensor_codec.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kernels/numeric/tensor_convert.h"

namespace attnserve {

absl::StatusOr<DataType> DecodeDataType(int proto_value, absl::string_view field) {
  switch (proto_value) {
    case v1::DATA_TYPE_FLOAT32:
      return DataType::kFloat32;
    case v1::DATA_TYPE_FLOAT16:
      return DataType::kFloat16;
    case v1::DATA_TYPE_BFLOAT16:
      return DataType::kBFloat16;
    default: {
      const std::string name = v1::DataType_IsValid(proto_value)
                                   ? v1::DataType_Name(static_cast<v1::DataType>(proto_value))
                                   : absl::StrCat(proto_value);
      return absl::InvalidArgumentError(
          absl::StrCat(field, "=", name,
                       " must be one of DATA_TYPE_FLOAT32, DATA_TYPE_FLOAT16, DATA_TYPE_BFLOAT16"));
    }
  }
}

v1::DataType ToProto(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32:
      return v1::DATA_TYPE_FLOAT32;
    case DataType::kFloat16:
      return v1::DATA_TYPE_FLOAT16;
    case DataType::kBFloat16:
      return v1::DATA_TYPE_BFLOAT16;
  }
  return v1::DATA_TYPE_UNSPECIFIED;
}

absl::StatusOr<TensorView> DecodeTensor(const v1::Tensor& tensor, absl::string_view field,
                                        std::initializer_list<absl::string_view> dim_names) {
  absl::StatusOr<DataType> dtype = DecodeDataType(tensor.dtype(), absl::StrCat(field, ".dtype"));
  if (!dtype.ok()) return dtype.status();
  const int rank = static_cast<int>(dim_names.size());
  if (tensor.shape_size() != rank) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".shape has ", tensor.shape_size(),
                                                   " dims, must have ", rank, ": [",
                                                   absl::StrJoin(dim_names, ", "), "]"));
  }
  int64_t bytes = static_cast<int64_t>(SizeOf(*dtype));
  for (int d = 0; d < rank; ++d) {
    const int64_t dim = tensor.shape(d);
    if (dim < 1) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".shape[", d, "]=", dim, " (",
                                                     dim_names.begin()[d], ") must be >= 1"));
    }
    if (__builtin_mul_overflow(bytes, dim, &bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".shape [", absl::StrJoin(tensor.shape(), ", "), "] overflows int64 bytes"));
    }
  }
  if (static_cast<int64_t>(tensor.data().size()) != bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".data has ", tensor.data().size(), " bytes, must have ", bytes, " (",
        bytes / static_cast<int64_t>(SizeOf(*dtype)), " elements of ", ToString(*dtype), ")"));
  }
  return TensorView{*dtype,
                    {tensor.shape().begin(), tensor.shape().end()},
                    reinterpret_cast<const std::byte*>(tensor.data().data())};
}

absl::Status CheckFinite(const TensorView& tensor, absl::string_view field) {
  const int64_t count = tensor.num_elements();
  for (int64_t n = 0; n < count; ++n) {
    const float value = LoadElement(tensor.dtype, tensor.data, n);
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".data[", n, "] = ", value, ": inputs must be finite"));
    }
  }
  return absl::OkStatus();
}

MutableTensorView AllocateTensor(v1::Tensor& tensor, DataType dtype, std::vector<int64_t> shape) {
  tensor.set_dtype(ToProto(dtype));
  tensor.mutable_shape()->Assign(shape.begin(), shape.end());
  std::string* data = tensor.mutable_data();
  data->resize(NumElements(shape) * SizeOf(dtype));
  return {dtype, std::move(shape), reinterpret_cast<std::byte*>(data->data())};
}

}  // namespace attnserve
