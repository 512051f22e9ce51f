#include "kernels/cuda/attention_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/kernel_geometry.h"
#include "kernels/math/ceil_div.h"
#include "kernels/math/online_softmax.h"

namespace attnserve::cuda {
namespace {

constexpr int kMaxSplits = 64;
// A split shorter than this costs more in its partial row and the merge than it saves.
constexpr int64_t kMinKeysPerSplit = 256;
constexpr int64_t kMaxGridY = 65535;

// The fraction of the last wave's SMs that have work when `blocks` blocks run on `sms` SMs.
double WaveEfficiency(int64_t blocks, int sms) {
  const int64_t waves = CeilDiv(blocks, sms);
  return static_cast<double>(blocks) / static_cast<double>(waves * sms);
}

// FlashAttention's rule: with fewer blocks than SMs, split the keys into the fewest ranges whose
// wave efficiency is within 85% of the best any split count reaches.
int ChooseSplits(int64_t blocks, int64_t kv_len, int sms) {
  if (blocks >= sms || sms <= 0) return 1;
  const int most = static_cast<int>(std::clamp<int64_t>(kv_len / kMinKeysPerSplit, 1, kMaxSplits));
  double best = 0;
  for (int splits = 1; splits <= most; ++splits) {
    best = std::max(best, WaveEfficiency(blocks * splits, sms));
  }
  for (int splits = 1; splits <= most; ++splits) {
    if (WaveEfficiency(blocks * splits, sms) >= 0.85 * best) return splits;
  }
  return 1;
}

bool OffsetsDiffer(const AttentionProblem& problem) {
  const std::vector<int64_t>& offsets = problem.position_offsets;
  return std::adjacent_find(offsets.begin(), offsets.end(), std::not_equal_to<>()) != offsets.end();
}

}  // namespace

const char* ToString(AttentionKernelKind kind) {
  return kind == AttentionKernelKind::kFlash ? "flash (tensor cores)" : "simt (float32)";
}

absl::StatusOr<AttentionPlan> PlanAttention(const AttentionProblem& problem, int multiprocessors) {
  const AttentionShape& shape = problem.shape;
  AttentionPlan plan;
  const bool half_inputs = problem.query.dtype != DataType::kFloat32;
  if (half_inputs && shape.head_dim == shape.v_head_dim && FlashSupportsHeadDim(shape.head_dim)) {
    plan.kind = AttentionKernelKind::kFlash;
    plan.rows_per_block = kFlashRowsPerBlock;
  } else if (shape.head_dim <= kSimtMaxHeadDim && shape.v_head_dim <= kSimtMaxHeadDim) {
    plan.kind = AttentionKernelKind::kSimt;
    plan.rows_per_block = kSimtWarpsPerBlock;
  } else {
    return absl::UnimplementedError(absl::StrCat("head_dim=", shape.head_dim,
                                                 " and v_head_dim=", shape.v_head_dim,
                                                 " exceed the kernels' ", kSimtMaxHeadDim));
  }
  if (shape.batch * shape.kv_heads > kMaxGridY) {
    return absl::UnimplementedError(absl::StrCat("batch*kv_heads=", shape.batch * shape.kv_heads,
                                                 " exceeds the grid's ", kMaxGridY));
  }
  const int64_t packed_rows = shape.q_len * (shape.heads / shape.kv_heads);
  plan.row_blocks = CeilDiv(packed_rows, plan.rows_per_block);
  const int64_t blocks = plan.row_blocks * shape.batch * shape.kv_heads;
  plan.num_splits = ChooseSplits(blocks, shape.kv_len, multiprocessors);
  plan.keys_per_split =
      CeilDiv(CeilDiv(shape.kv_len, plan.num_splits), kFlashKeysPerTile) * kFlashKeysPerTile;
  plan.num_splits = static_cast<int>(CeilDiv(shape.kv_len, plan.keys_per_split));

  plan.encoding = BuildAttentionEncoding(problem);
  plan.alibi_slopes.assign(plan.encoding.alibi_slopes.begin(), plan.encoding.alibi_slopes.end());
  if (plan.encoding.rotary) {
    plan.table_first_index = std::min<int64_t>(0, shape.kv_len - shape.q_len);
    plan.table_rows = shape.kv_len - plan.table_first_index;
    plan.table_batches = OffsetsDiffer(problem) ? shape.batch : 1;
    plan.table_pairs =
        plan.table_batches * plan.table_rows * (plan.encoding.rotary->rotary_dim / 2);
  }
  if (plan.num_splits > 1) {
    const int64_t rows = shape.batch * shape.q_len * shape.heads;
    plan.partial_output_elements = plan.num_splits * rows * shape.v_head_dim;
    plan.partial_lse_elements = plan.num_splits * rows;
  }
  return plan;
}

AttentionKernelParams MakeKernelParams(const AttentionProblem& problem, const AttentionPlan& plan,
                                       const AttentionBuffers& buffers, DataType output_dtype) {
  const AttentionShape& shape = problem.shape;
  AttentionKernelParams p;
  p.query = buffers.query;
  p.key = buffers.key;
  p.value = buffers.value;
  p.batch = shape.batch;
  p.q_len = shape.q_len;
  p.kv_len = shape.kv_len;
  p.heads = shape.heads;
  p.kv_heads = shape.kv_heads;
  p.head_dim = shape.head_dim;
  p.v_head_dim = shape.v_head_dim;
  p.scale_log2 = static_cast<float>(problem.softmax_scale * kLog2E);
  p.causal = problem.causal;
  p.window = problem.window;
  p.kv_lengths = problem.kv_lengths.empty() ? nullptr : buffers.kv_lengths;
  p.alibi_slopes = plan.alibi_slopes.empty() ? nullptr : buffers.alibi_slopes;
  if (plan.encoding.rotary) {
    p.rotary.pairs = buffers.rotary_table;
    p.rotary.batch_stride =
        plan.table_batches > 1 ? plan.table_rows * (plan.encoding.rotary->rotary_dim / 2) : 0;
    p.rotary.first_index = plan.table_first_index;
    p.rotary.rotary_dim = plan.encoding.rotary->rotary_dim;
    p.rotary.interleaved = plan.encoding.rotary->interleaved;
  }
  p.output = buffers.output;
  p.output_dtype = output_dtype;
  p.lse = buffers.lse;
  p.partial_output = buffers.partial_output;
  p.partial_lse = buffers.partial_lse;
  p.num_splits = plan.num_splits;
  p.keys_per_split = plan.keys_per_split;
  return p;
}

RotaryTableParams MakeRotaryTableParams(const AttentionProblem& problem, const AttentionPlan& plan,
                                        const AttentionBuffers& buffers) {
  RotaryTableParams p;
  if (!plan.encoding.rotary) return p;
  p.inv_freq = buffers.inv_freq;
  p.attention_factor = plan.encoding.rotary->attention_factor;
  p.batch_offsets = problem.position_offsets.empty() ? nullptr : buffers.position_offsets;
  p.first_position = plan.table_first_index;
  p.rows = plan.table_rows;
  p.pairs = plan.encoding.rotary->rotary_dim / 2;
  p.table = buffers.rotary_table;
  return p;
}

}  // namespace attnserve::cuda
