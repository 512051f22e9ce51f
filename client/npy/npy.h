// Reading and writing NumPy .npy files, the format attnctl exchanges tensors in. Reads format
// versions 1.0, 2.0 and 3.0 holding little-endian float16, float32 or float64 ('<f2', '<f4',
// '<f8') in C order; writes version 1.0 as '<f4' or '<f2'. Every value passes through float:
// float64 files are narrowed (rounded to nearest). Errors name the file and the problem. Pure
// functions apart from the file they touch; safe to call from several threads on different files.
#ifndef ATTNSERVE_CLIENT_NPY_NPY_H_
#define ATTNSERVE_CLIENT_NPY_NPY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attnserve {

struct NpyArray {
  std::vector<int64_t> shape;  // empty for a 0-d array (one value)
  std::vector<float> values;   // product(shape) values, row-major
  std::string descr;           // the file's dtype, e.g. "<f8"
};

enum class NpyDtype { kFloat32, kFloat16 };

absl::StatusOr<NpyArray> ReadNpy(const std::string& path);

// Writes `values` (product(shape) of them) as `dtype`; float16 rounds to nearest-even.
absl::Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape,
                      std::span<const float> values, NpyDtype dtype);

// The array an .npy file of `bytes` holds; `name` only labels errors. ReadNpy is this plus I/O.
absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes, const std::string& name);

}  // namespace attnserve

#endif  // ATTNSERVE_CLIENT_NPY_NPY_H_
