#include "client/attnctl/tensor_files.h"

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/attnctl/tensor_format.h"
#include "client/cpp/tensors.h"
#include "client/npy/npy.h"
#include "server/decode/tensor_codec.h"

namespace attnserve::attnctl {

absl::StatusOr<v1::Tensor> ReadTensorFile(const std::string& path, DataType dtype, size_t rank,
                                          absl::string_view flag) {
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  if (!array.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", array.status().message()));
  }
  bool positive = true;
  for (int64_t dim : array->shape) positive = positive && dim > 0;
  if (array->shape.size() != rank || !positive) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", path, " has shape ",
                                                   FormatShape(array->shape), ", expected ", rank,
                                                   " positive dims"));
  }
  return MakeTensor(dtype, array->shape, array->values);
}

absl::StatusOr<std::string> WriteTensorFile(const std::string& path, const v1::Tensor& tensor,
                                            absl::string_view what) {
  absl::StatusOr<std::vector<float>> values = TensorValues(tensor);
  if (!values.ok()) {
    return absl::InternalError(
        absl::StrCat("the server's ", what, ": ", values.status().message()));
  }
  const std::vector<int64_t> shape(tensor.shape().begin(), tensor.shape().end());
  const NpyDtype npy_dtype =
      tensor.dtype() == v1::DATA_TYPE_FLOAT16 ? NpyDtype::kFloat16 : NpyDtype::kFloat32;
  if (absl::Status status = WriteNpy(path, shape, *values, npy_dtype); !status.ok()) {
    return status;
  }
  return absl::StrCat("wrote ", what, " ", FormatShape(shape), " ", DataTypeName(tensor.dtype()),
                      " as '", npy_dtype == NpyDtype::kFloat16 ? "<f2" : "<f4", "' to ", path);
}

absl::Status WriteOrPrintTensor(const std::string& name, const v1::Tensor& tensor,
                                const std::string& path) {
  if (!path.empty()) {
    absl::StatusOr<std::string> written = WriteTensorFile(path, tensor, name);
    if (!written.ok()) return written.status();
    std::cout << *written << "\n";
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<float>> values = TensorValues(tensor);
  if (!values.ok()) {
    return absl::InternalError(
        absl::StrCat("the server's ", name, ": ", values.status().message()));
  }
  const std::vector<int64_t> shape(tensor.shape().begin(), tensor.shape().end());
  std::cout << name << ": " << FormatShape(shape) << " " << DataTypeName(tensor.dtype()) << "\n"
            << "  " << SummarizeValues(*values) << "\n"
            << "  first values " << FormatValues(*values, 8, 6) << "\n";
  return absl::OkStatus();
}

std::string DataTypeName(v1::DataType dtype) {
  absl::StatusOr<DataType> decoded = DecodeDataType(dtype, "dtype");
  return decoded.ok() ? ToString(*decoded) : absl::StrCat("dtype ", static_cast<int>(dtype));
}

}  // namespace attnserve::attnctl
