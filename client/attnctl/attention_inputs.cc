#include "client/attnctl/attention_inputs.h"

#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/attnctl/tensor_files.h"
#include "client/cpp/tensors.h"
#include "server/decode/request_limits.h"

namespace attnserve::attnctl {
namespace {

// Far beyond any message the server accepts; keeps the client from allocating absurd buffers.
constexpr int64_t kMaxElements = int64_t{1} << 28;

// Stream `stream` of `seed`: mt19937_64 and seed_seq are fully specified by the standard, and
// the top 24 bits of each draw, times 2^-23 minus 1, are an exact float in [-1, 1).
absl::StatusOr<v1::Tensor> RandomTensor(DataType dtype, const std::vector<int64_t>& shape,
                                        uint64_t seed, uint32_t stream) {
  const std::optional<int64_t> count = CheckedProduct({shape[0], shape[1], shape[2], shape[3]});
  if (!count || *count > kMaxElements) {
    return absl::InvalidArgumentError(absl::StrCat("random inputs of shape [", shape[0], ", ",
                                                   shape[1], ", ", shape[2], ", ", shape[3],
                                                   "] are too large"));
  }
  std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), stream};
  std::mt19937_64 engine(sequence);
  std::vector<float> values(*count);
  for (float& value : values) {
    value = static_cast<float>(engine() >> 40) * 0x1p-23f - 1.0f;
  }
  return MakeTensor(dtype, shape, values);
}

}  // namespace

absl::StatusOr<AttentionInputs> RandomInputs(const RandomInputsParams& params) {
  const AttentionShape& s = params.shape;
  const std::pair<const char*, int64_t> dims[] = {
      {"batch", s.batch},          {"q_len", s.q_len},       {"kv_len", s.kv_len},
      {"heads", s.heads},          {"kv_heads", s.kv_heads}, {"head_dim", s.head_dim},
      {"v_head_dim", s.v_head_dim}};
  for (const auto& [name, dim] : dims) {
    if (dim < 1) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, "=", dim, " must be >= 1"));
    }
  }
  AttentionInputs inputs;
  absl::StatusOr<v1::Tensor> query =
      RandomTensor(params.dtype, {s.batch, s.q_len, s.heads, s.head_dim}, params.seed, 0);
  if (!query.ok()) return query.status();
  absl::StatusOr<v1::Tensor> key =
      RandomTensor(params.dtype, {s.batch, s.kv_len, s.kv_heads, s.head_dim}, params.seed, 1);
  if (!key.ok()) return key.status();
  absl::StatusOr<v1::Tensor> value =
      RandomTensor(params.dtype, {s.batch, s.kv_len, s.kv_heads, s.v_head_dim}, params.seed, 2);
  if (!value.ok()) return value.status();
  inputs.query = std::move(*query);
  inputs.key = std::move(*key);
  inputs.value = std::move(*value);
  return inputs;
}

absl::StatusOr<AttentionInputs> FileInputs(const FileInputsParams& params) {
  AttentionInputs inputs;
  absl::StatusOr<v1::Tensor> query = ReadTensorFile(params.query_path, params.dtype, 4, "query");
  if (!query.ok()) return query.status();
  absl::StatusOr<v1::Tensor> key = ReadTensorFile(params.key_path, params.dtype, 4, "key");
  if (!key.ok()) return key.status();
  absl::StatusOr<v1::Tensor> value = ReadTensorFile(params.value_path, params.dtype, 4, "value");
  if (!value.ok()) return value.status();
  inputs.query = std::move(*query);
  inputs.key = std::move(*key);
  inputs.value = std::move(*value);
  return inputs;
}

}  // namespace attnserve::attnctl
