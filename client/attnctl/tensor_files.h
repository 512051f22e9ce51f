// API tensors to and from .npy files, for the commands that take --query/--key/--value and
// --output style flags. Files hold float16/32/64; a tensor read is rounded to the dtype it is sent
// in; a tensor written keeps float16 as '<f2' and goes to '<f4' otherwise (bfloat16 widens
// exactly: numpy has no bfloat16). Pure functions apart from the files.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_TENSOR_FILES_H_
#define ATTNSERVE_CLIENT_ATTNCTL_TENSOR_FILES_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/api/data_type.h"

namespace attnserve::attnctl {

// The array in `path` as a tensor of `dtype`; fails unless it has `rank` dims, all positive.
// `flag` names the flag that gave the path in errors.
absl::StatusOr<v1::Tensor> ReadTensorFile(const std::string& path, DataType dtype, size_t rank,
                                          absl::string_view flag);

// Writes `tensor` to `path` and returns a line saying what was written, e.g.
// "wrote output [1, 16, 8, 64] float16 as '<f2' to out.npy".
absl::StatusOr<std::string> WriteTensorFile(const std::string& path, const v1::Tensor& tensor,
                                            absl::string_view what);

// Writes `tensor` to `path` when `path` is not empty, printing the line above; otherwise prints
// `name`, its shape and dtype, statistics and first values to stdout.
absl::Status WriteOrPrintTensor(const std::string& name, const v1::Tensor& tensor,
                                const std::string& path);

// "float32", "float16", "bfloat16" (or the number of an unknown dtype).
std::string DataTypeName(v1::DataType dtype);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_TENSOR_FILES_H_
