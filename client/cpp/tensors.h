// Building request tensors from float values and reading response tensors back, in any of the
// API's dtypes. Pure functions.
#ifndef ATTNSERVE_CLIENT_CPP_TENSORS_H_
#define ATTNSERVE_CLIENT_CPP_TENSORS_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/api/data_type.h"

namespace attnserve {

// A tensor of `shape` holding `values` (one per element) rounded to `dtype`.
v1::Tensor MakeTensor(DataType dtype, const std::vector<int64_t>& shape,
                      std::span<const float> values);

// The elements of `tensor` as floats; fails when its dtype is unknown or its byte count does
// not match its shape.
absl::StatusOr<std::vector<float>> TensorValues(const v1::Tensor& tensor);

}  // namespace attnserve

#endif  // ATTNSERVE_CLIENT_CPP_TENSORS_H_
