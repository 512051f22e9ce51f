// The one parameter struct every attention kernel of kernels/cuda/ takes (style.md: no kernels
// with twenty positional arguments). Built on the host by attention_launch.h from a validated
// AttentionProblem; every pointer is device memory (host memory under the CPU shim).
//
// Rows: the query rows that share a kv head are packed, GQA group innermost, so packed row r of
// (batch b, kv head k) is query row r / group of head k * group + r % group. A decode step of a
// GQA model is then `group` rows that read K and V once.
#ifndef ATTNSERVE_KERNELS_CUDA_ATTENTION_PARAMS_H_
#define ATTNSERVE_KERNELS_CUDA_ATTENTION_PARAMS_H_

#include <cstdint>

#include "kernels/api/data_type.h"
#include "kernels/math/host_device.h"

namespace attnserve::cuda {

// a cos and a sin of one (position, pair), attention factor folded in; 8-byte aligned so that a
// kernel reads one as a single 64-bit load.
struct alignas(8) CosSinPair {
  float cos;
  float sin;
};

// RoPE as the kernels read it: row `index - first_index` of a batch element's table holds the
// rotary_dim / 2 pairs of key index `index` (queries use their aligned key index,
// kv_len - q_len + i). Built on the device from the host's inverse frequencies (rotary_kernels.h).
struct RotaryTable {
  const CosSinPair* pairs = nullptr;  // null without RoPE
  int64_t batch_stride = 0;           // in pairs; 0 when every batch element has the same offset
  int64_t first_index = 0;            // min(0, kv_len - q_len)
  int rotary_dim = 0;
  bool interleaved = false;
};

// What RotaryTableKernel (rotary_kernels.h) reads to build a RotaryTable.
struct RotaryTableParams {
  const double* inv_freq = nullptr;  // rotary_dim / 2
  double attention_factor = 1;
  const int64_t* batch_offsets = nullptr;  // [batch] or null (0)
  const int64_t* positions = nullptr;      // [rows], or null: row r is at first_position + r
  int64_t first_position = 0;              // before the batch offset
  int64_t rows = 0;
  int pairs = 0;
  CosSinPair* table = nullptr;  // [batch (or 1)][rows][pairs]
};

// What RotaryApplyKernel (rotary_kernels.h) reads: standalone RoPE, in place.
struct RotaryApplyParams {
  void* data = nullptr;  // [batch, seq, heads, head_dim]
  int64_t vectors = 0;   // batch * seq * heads
  int64_t seq = 0;
  int64_t heads = 0;
  int head_dim = 0;
  int rotary_dim = 0;
  const CosSinPair* table = nullptr;  // [seq][rotary_dim / 2], shared by the batch
};

struct AttentionKernelParams {
  const void* query = nullptr;  // [batch, q_len, heads, head_dim]
  const void* key = nullptr;    // [batch, kv_len, kv_heads, head_dim]
  const void* value = nullptr;  // [batch, kv_len, kv_heads, v_head_dim]
  int64_t batch = 0;
  int64_t q_len = 0;
  int64_t kv_len = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t v_head_dim = 0;

  float scale_log2 = 0;  // softmax_scale * log2(e)
  bool causal = false;
  int64_t window = 0;                   // 0: unlimited
  const int64_t* kv_lengths = nullptr;  // [batch] or null (all kv_len)
  const float* alibi_slopes = nullptr;  // [heads] or null
  RotaryTable rotary;

  // With num_splits == 1 the kernels write `output` ([batch, q_len, heads, v_head_dim] in
  // output_dtype) and `lse` ([batch, heads, q_len], may be null). With more, split s covers keys
  // [s * keys_per_split, (s + 1) * keys_per_split) and writes its normalized rows to
  // partial_output ([splits, batch, q_len, heads, v_head_dim]) and partial_lse
  // ([splits, batch, heads, q_len]) for the combine kernel.
  void* output = nullptr;
  DataType output_dtype = DataType::kFloat32;
  float* lse = nullptr;
  float* partial_output = nullptr;
  float* partial_lse = nullptr;
  int num_splits = 1;
  int64_t keys_per_split = 0;

  ATTN_HOST_DEVICE int64_t group() const { return heads / kv_heads; }
  ATTN_HOST_DEVICE int64_t packed_rows() const { return q_len * group(); }
};

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_ATTENTION_PARAMS_H_
