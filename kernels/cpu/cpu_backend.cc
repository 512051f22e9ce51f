#include "kernels/cpu/cpu_backend.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "kernels/cpu/attention_inputs.h"
#include "kernels/cpu/query_tile_attention.h"
#include "kernels/cpu/simd_kernels.h"
#include "kernels/encoding/attention_encoding.h"

namespace attnserve {
namespace {

// Lets every thread of a request poll one StopCheck: calls are serialized, and once it has
// said stop it is not called again.
class SharedStopCheck {
 public:
  explicit SharedStopCheck(const StopCheck& should_stop) : should_stop_(should_stop) {}

  bool ShouldStop() {
    if (stopped_.load(std::memory_order_relaxed)) return true;
    if (!should_stop_) return false;
    absl::MutexLock lock(&mutex_);
    if (!stopped_.load(std::memory_order_relaxed) && should_stop_()) stopped_.store(true);
    return stopped_.load(std::memory_order_relaxed);
  }
  bool stopped() const { return stopped_.load(); }

 private:
  const StopCheck& should_stop_;
  absl::Mutex mutex_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

CpuBackend::CpuBackend(int threads) : pool_(std::make_unique<ThreadPool>(threads)) {}

BackendDescription CpuBackend::Describe() const {
  return {"cpu",
          {absl::StrCat("cpu: float32 flash attention, ", SimdTargetName(), " vectors, ",
                        pool_->threads(), " threads per request")},
          {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16},
          "exact float32 CPU attention with fused RoPE/ALiBi"};
}

absl::Status CpuBackend::Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                             const StopCheck& should_stop) const {
  const AttentionShape& shape = problem.shape;
  const WorkPlan plan =
      PlanWork(shape, pool_->threads(), /*with_probabilities=*/outputs.probabilities != nullptr);
  const AttentionEncoding encoding = BuildAttentionEncoding(problem);
  const AttentionInputs inputs = PrepareAttentionInputs(problem, encoding, plan.key_layout, *pool_);
  QueryTileAttention attention(problem, encoding, inputs, plan, outputs);

  SharedStopCheck stop(should_stop);
  // Items are handed out last query tile first: under a causal mask those see the most keys,
  // and starting them early keeps the threads evenly busy at the end.
  const int64_t items = plan.items(shape);
  pool_->ParallelFor(items, [&](int64_t index) {
    if (!stop.ShouldStop()) attention.Compute(items - 1 - index);
  });
  if (plan.splits > 1 && !stop.stopped()) {
    pool_->ParallelFor(plan.tiles(shape), [&](int64_t tile) { attention.MergeSplits(tile); });
  }
  if (stop.stopped()) return absl::CancelledError("stopped while computing");
  return absl::OkStatus();
}

}  // namespace attnserve
