// The cuda backend: attention on an NVIDIA GPU with the kernels of kernels/cuda/ (docs/gpu.md).
// It owns its device state for its lifetime. Where it cannot compute a request it hands it to
// the fallback backend it was given (the server passes the cpu backend): when no device or no
// driver is present (the reason is logged once and reported by Describe), when probabilities are
// asked for, and for shapes no kernel covers. Run may be called from several threads at once;
// each call takes a stream of its own from a pool.
#ifndef ATTNSERVE_KERNELS_CUDA_CUDA_BACKEND_H_
#define ATTNSERVE_KERNELS_CUDA_CUDA_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kernels/api/backend.h"

namespace attnserve::cuda {

// What one request's kernels cost on the device (benchmarks: bench/gpu_attention_bench.cc).
struct KernelTiming {
  std::string kernel;  // ToString(AttentionKernelKind)
  int splits = 1;      // key splits (flash-decoding)
  double milliseconds = 0;
};

struct CudaBackendOptions {
  int device = 0;  // --cuda_device
};

class CudaBackend final : public Backend {
 public:
  // Never fails: without a usable device every request goes to `fallback` (not owned; it must
  // outlive the backend).
  CudaBackend(CudaBackendOptions options, const Backend* fallback);
  ~CudaBackend() override;

  BackendDescription Describe() const override;
  absl::Status Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                   const StopCheck& should_stop) const override;
  absl::Status ApplyRotary(const RotaryFrequencies& frequencies, std::span<const int64_t> positions,
                           const MutableTensorView& data) const override;

  // The mean device time of `repetitions` launches of the problem's kernels (the RoPE table,
  // attention, the split merge), its tensors already on the device: the copies over PCIe are
  // left out. FAILED_PRECONDITION without a usable device.
  absl::StatusOr<KernelTiming> TimeKernels(const AttentionProblem& problem, int repetitions) const;

  // Empty when the device is usable, else why requests run on the fallback.
  const std::string& unavailable_reason() const;

 private:
  struct Device;
  std::unique_ptr<Device> device_;
  const Backend* fallback_;
};

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_CUDA_BACKEND_H_
