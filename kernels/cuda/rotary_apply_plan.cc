#include "kernels/cuda/rotary_apply_plan.h"

#include <cstdint>

#include "kernels/cuda/kernel_geometry.h"

namespace attnserve::cuda {

int64_t RotaryApplyTablePairs(const RotaryFrequencies& frequencies,
                              const std::vector<int64_t>& shape) {
  return shape[1] * (frequencies.rotary_dim / 2);
}

RotaryApplyLaunch PlanRotaryApply(const RotaryFrequencies& frequencies, DataType dtype,
                                  const std::vector<int64_t>& shape,
                                  const RotaryApplyBuffers& buffers) {
  const int element_bytes = static_cast<int>(SizeOf(dtype));
  const int pairs = frequencies.rotary_dim / 2;
  const int wide = WideRotaryPairs(element_bytes, frequencies.interleaved);
  // A wide run starts at a multiple of 16 bytes from its head vector (and, half-split, from the
  // vector's second half) when the pairs come in whole runs; every head vector starts on 16
  // bytes when the base does and a vector is a multiple of 16 bytes long.
  const bool aligned = pairs % wide == 0 && shape[3] * element_bytes % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(buffers.data) % 16 == 0;

  RotaryApplyLaunch launch;
  launch.dtype = dtype;
  launch.interleaved = frequencies.interleaved;
  launch.pairs_per_thread = aligned ? wide : 1;

  RotaryTableParams& table = launch.table;
  table.inv_freq = buffers.inv_freq;
  table.attention_factor = frequencies.attention_factor;
  table.positions = buffers.positions;
  table.rows = shape[1];
  table.pairs = pairs;
  table.table = buffers.table;

  RotaryApplyParams& apply = launch.apply;
  apply.data = buffers.data;
  apply.vectors = shape[0] * shape[1] * shape[2];
  apply.seq = shape[1];
  apply.heads = shape[2];
  apply.head_dim = static_cast<int>(shape[3]);
  apply.rotary_dim = frequencies.rotary_dim;
  apply.table = buffers.table;
  launch.threads = apply.vectors * (pairs / launch.pairs_per_thread);
  return launch;
}

}  // namespace attnserve::cuda
