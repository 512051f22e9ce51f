#include "kernels/cuda/shim_backend.h"

#include <vector>

#include "kernels/cuda/attention_launch.h"
#include "kernels/cuda/rotary_launch.h"

namespace attnserve::cuda {
namespace {

// Runs each kernel through the shim in the backend's lane mode.
struct ShimLauncher {
  cudashim::LaneMode mode;

  template <typename Params>
  void operator()(void (*kernel)(Params), dim3 grid, dim3 block, size_t shared_bytes,
                  const Params& params) const {
    cudashim::Launch(kernel, {grid, block, shared_bytes, mode}, params);
  }
};

}  // namespace

BackendDescription ShimCudaBackend::Describe() const {
  return {"cuda-shim",
          {"cpu: the CUDA kernels through the execution shim"},
          {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16},
          "the cuda backend's kernels run on the CPU (tests only)"};
}

absl::Status ShimCudaBackend::Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                                  const StopCheck&) const {
  if (outputs.probabilities != nullptr) {
    return absl::UnimplementedError("the cuda kernels do not write probabilities");
  }
  absl::StatusOr<AttentionPlan> planned = PlanAttention(problem, options_.multiprocessors);
  if (!planned.ok()) return planned.status();
  const AttentionPlan& plan = *planned;
  std::vector<CosSinPair> table(plan.table_pairs);
  std::vector<float> partial_output(plan.partial_output_elements);
  std::vector<float> partial_lse(plan.partial_lse_elements);
  AttentionBuffers buffers;
  buffers.query = problem.query.data;
  buffers.key = problem.key.data;
  buffers.value = problem.value.data;
  buffers.output = outputs.output.data;
  buffers.lse = outputs.lse;
  buffers.kv_lengths = problem.kv_lengths.data();
  buffers.position_offsets = problem.position_offsets.data();
  buffers.alibi_slopes = plan.alibi_slopes.data();
  buffers.inv_freq = plan.encoding.rotary ? plan.encoding.rotary->inv_freq.data() : nullptr;
  buffers.rotary_table = plan.table_pairs > 0 ? table.data() : nullptr;
  buffers.partial_output = partial_output.data();
  buffers.partial_lse = partial_lse.data();
  ShimLauncher launch{options_.mode};
  LaunchAttention(plan, problem.query.dtype,
                  MakeKernelParams(problem, plan, buffers, outputs.output.dtype),
                  MakeRotaryTableParams(problem, plan, buffers), launch);
  return absl::OkStatus();
}

absl::Status ShimCudaBackend::ApplyRotary(const RotaryFrequencies& frequencies,
                                          std::span<const int64_t> positions,
                                          const MutableTensorView& data) const {
  std::vector<CosSinPair> table(RotaryApplyTablePairs(frequencies, data.shape));
  const RotaryApplyBuffers buffers{data.data, frequencies.inv_freq.data(), positions.data(),
                                   table.data()};
  ShimLauncher launch{options_.mode};
  LaunchRotaryApply(PlanRotaryApply(frequencies, data.dtype, data.shape, buffers), launch);
  return absl::OkStatus();
}

}  // namespace attnserve::cuda
