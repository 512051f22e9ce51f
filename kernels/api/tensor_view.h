// Non-owning views of row-major, contiguous, little-endian tensors. A view never owns its
// bytes: whoever built it keeps them alive for as long as the view is used. Views are plain
// values; reading through a TensorView from several threads is safe.
#ifndef ATTNSERVE_KERNELS_API_TENSOR_VIEW_H_
#define ATTNSERVE_KERNELS_API_TENSOR_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/api/data_type.h"

namespace attnserve {

// Product of the dimensions; the caller has checked that it does not overflow.
inline int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

struct TensorView {
  DataType dtype = DataType::kFloat32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;

  int64_t num_elements() const { return NumElements(shape); }
};

struct MutableTensorView {
  DataType dtype = DataType::kFloat32;
  std::vector<int64_t> shape;
  std::byte* data = nullptr;

  int64_t num_elements() const { return NumElements(shape); }
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_API_TENSOR_VIEW_H_
