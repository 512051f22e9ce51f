// The query, key and value tensors of an attnctl attention request: seeded uniform random
// values in [-1, 1), or three .npy files. Values are rounded to the dtype sent. Pure functions
// apart from the files read.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_INPUTS_H_
#define ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_INPUTS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"
#include "kernels/api/attention_problem.h"
#include "kernels/api/data_type.h"

namespace attnserve::attnctl {

struct AttentionInputs {
  v1::Tensor query;  // [batch, q_len, heads, head_dim]
  v1::Tensor key;    // [batch, kv_len, kv_heads, head_dim]
  v1::Tensor value;  // [batch, kv_len, kv_heads, v_head_dim]
};

struct RandomInputsParams {
  AttentionShape shape;  // every dim >= 1
  DataType dtype = DataType::kFloat32;
  uint64_t seed = 1;
};

// Query, key and value come from three independent streams of one seed, so changing a shape
// flag of one tensor leaves the others' values alone. Identical on every platform.
absl::StatusOr<AttentionInputs> RandomInputs(const RandomInputsParams& params);

struct FileInputsParams {
  std::string query_path;
  std::string key_path;
  std::string value_path;
  DataType dtype = DataType::kFloat32;
};

// Each file must hold a rank-4 array; the server checks that the shapes fit together.
absl::StatusOr<AttentionInputs> FileInputs(const FileInputsParams& params);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_ATTENTION_INPUTS_H_
