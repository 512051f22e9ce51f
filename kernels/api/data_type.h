// Element types a tensor can hold, and their sizes. Plain values; thread-safe.
#ifndef ATTNSERVE_KERNELS_API_DATA_TYPE_H_
#define ATTNSERVE_KERNELS_API_DATA_TYPE_H_

#include <cstddef>

namespace attnserve {

enum class DataType { kFloat32, kFloat16, kBFloat16 };

inline constexpr DataType kAllDataTypes[] = {DataType::kFloat32, DataType::kFloat16,
                                             DataType::kBFloat16};

constexpr size_t SizeOf(DataType dtype) { return dtype == DataType::kFloat32 ? 4 : 2; }

constexpr const char* ToString(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32:
      return "float32";
    case DataType::kFloat16:
      return "float16";
    case DataType::kBFloat16:
      return "bfloat16";
  }
  return "unknown";
}

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_API_DATA_TYPE_H_
