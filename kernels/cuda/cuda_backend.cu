#include <cstdio>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/attention_launch.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/device_memory.h"
#include "kernels/cuda/rotary_launch.h"

namespace attnserve::cuda {
namespace {

size_t LseCount(const AttentionProblem& problem) {
  return problem.shape.batch * problem.shape.heads * problem.shape.q_len;
}

absl::Status FirstError(std::initializer_list<absl::Status> statuses) {
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Launches each kernel with <<<>>> on one stream, opting in to more than 48 KB of dynamic
// shared memory where a kernel needs it. The first failure is kept.
struct StreamLauncher {
  cudaStream_t stream;
  absl::Status status;

  template <typename Params>
  void operator()(void (*kernel)(Params), dim3 grid, dim3 block, size_t shared_bytes,
                  const Params& params) {
    if (!status.ok()) return;
    // absl::Status::Update, not operator=: EDG warns that the latter's result is discarded.
    if (shared_bytes > 48 * 1024) {
      status.Update(
          FromCuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)),
                   "cudaFuncSetAttribute"));
      if (!status.ok()) return;
    }
    kernel<<<grid, block, shared_bytes, stream>>>(params);
    status.Update(FromCuda(cudaGetLastError(), "kernel launch"));
  }
};

// A stream of the pool and the page-locked staging its requests copy through.
struct StreamSlot {
  cudaStream_t stream = nullptr;
  PinnedArena staging;

  ~StreamSlot() {
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
};

}  // namespace

struct CudaBackend::Device {
  std::string unavailable_reason;
  std::string name;
  int ordinal = 0;
  int multiprocessors = 0;
  size_t memory_bytes = 0;

  std::mutex streams_mutex;
  std::vector<std::unique_ptr<StreamSlot>> idle_streams;  // one per concurrent request, kept

  // Runs `work(memory, stream)` on a stream of the pool that the caller has to itself until
  // `work` returns, with that stream's request memory.
  template <typename Work>
  absl::Status OnStream(Work work) {
    // The calling thread's current device is what launches and copies go to: the server's
    // threads start on device 0.
    ATTN_CUDA_RETURN_IF_ERROR(cudaSetDevice(ordinal));
    absl::StatusOr<std::unique_ptr<StreamSlot>> slot = TakeStream();
    if (!slot.ok()) return slot.status();
    absl::Status status = [&]() -> absl::Status {
      absl::StatusOr<RequestMemory> memory =
          RequestMemory::Begin((*slot)->stream, (*slot)->staging);
      if (!memory.ok()) return memory.status();
      return work(*memory, (*slot)->stream);
    }();
    std::lock_guard<std::mutex> lock(streams_mutex);
    idle_streams.push_back(*std::move(slot));
    return status;
  }

 private:
  absl::StatusOr<std::unique_ptr<StreamSlot>> TakeStream() {
    {
      std::lock_guard<std::mutex> lock(streams_mutex);
      if (!idle_streams.empty()) {
        std::unique_ptr<StreamSlot> slot = std::move(idle_streams.back());
        idle_streams.pop_back();
        return slot;
      }
    }
    auto slot = std::make_unique<StreamSlot>();
    ATTN_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&slot->stream, cudaStreamNonBlocking));
    return slot;
  }
};

CudaBackend::CudaBackend(CudaBackendOptions options, const Backend* fallback)
    : device_(std::make_unique<Device>()), fallback_(fallback) {
  Device& device = *device_;
  device.ordinal = options.device;
  // With no driver cudaGetDeviceCount returns cudaErrorInsufficientDriver and leaves the count
  // untouched: the return code decides.
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  cudaDeviceProp properties;
  if (error != cudaSuccess) {
    device.unavailable_reason =
        absl::StrCat("no usable CUDA driver: ", cudaGetErrorString(error), " (error ", error, ")");
  } else if (options.device < 0 || options.device >= count) {
    device.unavailable_reason =
        absl::StrCat("--cuda_device=", options.device, " but ", count, " CUDA devices exist");
  } else if (cudaGetDeviceProperties(&properties, options.device) != cudaSuccess) {
    device.unavailable_reason = absl::StrCat("cannot read CUDA device ", options.device);
  } else {
    device.name = properties.name;
    device.multiprocessors = properties.multiProcessorCount;
    device.memory_bytes = properties.totalGlobalMem;
  }
  if (!device.unavailable_reason.empty()) {
    std::fprintf(stderr, "attnserve: cuda backend: %s; its requests run on the cpu backend\n",
                 device.unavailable_reason.c_str());
  }
}

CudaBackend::~CudaBackend() = default;

const std::string& CudaBackend::unavailable_reason() const { return device_->unavailable_reason; }

BackendDescription CudaBackend::Describe() const {
  BackendDescription description;
  description.name = "cuda";
  description.dtypes = {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16};
  if (device_->unavailable_reason.empty()) {
    description.devices = {absl::StrCat("cuda:", device_->ordinal, ": ", device_->name, ", ",
                                        device_->multiprocessors, " SMs, ",
                                        device_->memory_bytes >> 20, " MiB")};
    description.description =
        "flash attention on tensor cores (float16/bfloat16, head_dim 64/128), float32 on CUDA "
        "cores, split-KV decode; RoPE and ALiBi fused";
  } else {
    description.devices = {"none"};
    description.description =
        absl::StrCat("unavailable (", device_->unavailable_reason, "): requests run on the cpu");
  }
  return description;
}

namespace {

// What one attention request uses on the device: its inputs uploaded, its outputs and
// workspaces allocated.
absl::StatusOr<AttentionBuffers> UploadAttention(const AttentionProblem& problem,
                                                 const AttentionPlan& plan, size_t output_bytes,
                                                 bool with_lse, RequestMemory& memory) {
  const size_t element = SizeOf(problem.query.dtype);
  auto upload_bytes = [&](const TensorView& view) {
    return memory.Upload(view.data, view.num_elements() * element);
  };
  absl::StatusOr<std::byte*> query = upload_bytes(problem.query);
  absl::StatusOr<std::byte*> key = upload_bytes(problem.key);
  absl::StatusOr<std::byte*> value = upload_bytes(problem.value);
  absl::StatusOr<std::byte*> output = memory.Allocate(output_bytes);
  absl::StatusOr<float*> lse = memory.Allocate<float>(with_lse ? LseCount(problem) : 0);
  absl::StatusOr<int64_t*> kv_lengths =
      memory.Upload(problem.kv_lengths.data(), problem.kv_lengths.size());
  absl::StatusOr<int64_t*> offsets =
      memory.Upload(problem.position_offsets.data(), problem.position_offsets.size());
  absl::StatusOr<float*> slopes = memory.Upload(plan.alibi_slopes.data(), plan.alibi_slopes.size());
  const std::vector<double> no_frequencies;
  const std::vector<double>& inv_freq =
      plan.encoding.rotary ? plan.encoding.rotary->inv_freq : no_frequencies;
  absl::StatusOr<double*> frequencies = memory.Upload(inv_freq.data(), inv_freq.size());
  absl::StatusOr<CosSinPair*> table = memory.Allocate<CosSinPair>(plan.table_pairs);
  absl::StatusOr<float*> partial_output = memory.Allocate<float>(plan.partial_output_elements);
  absl::StatusOr<float*> partial_lse = memory.Allocate<float>(plan.partial_lse_elements);
  if (absl::Status status =
          FirstError({query.status(), key.status(), value.status(), output.status(), lse.status(),
                      kv_lengths.status(), offsets.status(), slopes.status(), frequencies.status(),
                      table.status(), partial_output.status(), partial_lse.status()});
      !status.ok()) {
    return status;
  }
  AttentionBuffers buffers;
  buffers.query = *query;
  buffers.key = *key;
  buffers.value = *value;
  buffers.output = *output;
  buffers.lse = *lse;
  buffers.kv_lengths = *kv_lengths;
  buffers.position_offsets = *offsets;
  buffers.alibi_slopes = *slopes;
  buffers.inv_freq = *frequencies;
  buffers.rotary_table = *table;
  buffers.partial_output = *partial_output;
  buffers.partial_lse = *partial_lse;
  return buffers;
}

absl::Status LaunchOnStream(const AttentionProblem& problem, const AttentionPlan& plan,
                            const AttentionBuffers& buffers, DataType output_dtype,
                            cudaStream_t stream) {
  StreamLauncher launch{stream, absl::OkStatus()};
  LaunchAttention(plan, problem.query.dtype, MakeKernelParams(problem, plan, buffers, output_dtype),
                  MakeRotaryTableParams(problem, plan, buffers), launch);
  return launch.status;
}

}  // namespace

absl::Status CudaBackend::Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                              const StopCheck& should_stop) const {
  if (!device_->unavailable_reason.empty() || outputs.probabilities != nullptr) {
    return fallback_->Run(problem, outputs, should_stop);
  }
  absl::StatusOr<AttentionPlan> planned = PlanAttention(problem, device_->multiprocessors);
  if (absl::IsUnimplemented(planned.status())) return fallback_->Run(problem, outputs, should_stop);
  if (!planned.ok()) return planned.status();
  const AttentionPlan& plan = *planned;

  return device_->OnStream([&](RequestMemory& memory, cudaStream_t stream) -> absl::Status {
    const size_t output_bytes = outputs.output.num_elements() * SizeOf(outputs.output.dtype);
    absl::StatusOr<AttentionBuffers> buffers =
        UploadAttention(problem, plan, output_bytes, outputs.lse != nullptr, memory);
    if (!buffers.ok()) return buffers.status();
    if (absl::Status status = LaunchOnStream(problem, plan, *buffers, outputs.output.dtype, stream);
        !status.ok()) {
      return status;
    }
    if (absl::Status status = memory.Download(outputs.output.data, buffers->output, output_bytes);
        !status.ok()) {
      return status;
    }
    if (outputs.lse != nullptr) {
      if (absl::Status status =
              memory.Download(outputs.lse, buffers->lse, LseCount(problem) * sizeof(float));
          !status.ok()) {
        return status;
      }
    }
    return memory.Finish();
  });
}

absl::StatusOr<KernelTiming> CudaBackend::TimeKernels(const AttentionProblem& problem,
                                                      int repetitions) const {
  if (!device_->unavailable_reason.empty()) {
    return absl::FailedPreconditionError(device_->unavailable_reason);
  }
  absl::StatusOr<AttentionPlan> planned = PlanAttention(problem, device_->multiprocessors);
  if (!planned.ok()) return planned.status();
  const AttentionPlan& plan = *planned;
  KernelTiming timing{ToString(plan.kind), plan.num_splits, 0};
  const absl::Status status =
      device_->OnStream([&](RequestMemory& memory, cudaStream_t stream) -> absl::Status {
        const DataType output_dtype = problem.query.dtype;
        const size_t output_bytes = static_cast<size_t>(problem.shape.batch) * problem.shape.q_len *
                                    problem.shape.heads * problem.shape.v_head_dim *
                                    SizeOf(output_dtype);
        absl::StatusOr<AttentionBuffers> buffers =
            UploadAttention(problem, plan, output_bytes, false, memory);
        if (!buffers.ok()) return buffers.status();
        // One launch first: module loading and the pool's first allocations are not the kernels.
        if (absl::Status status = LaunchOnStream(problem, plan, *buffers, output_dtype, stream);
            !status.ok()) {
          return status;
        }
        cudaEvent_t start, stop;
        ATTN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&start));
        ATTN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&stop));
        absl::Status launched = FromCuda(cudaEventRecord(start, stream), "cudaEventRecord");
        for (int i = 0; i < repetitions && launched.ok(); ++i) {
          launched.Update(LaunchOnStream(problem, plan, *buffers, output_dtype, stream));
        }
        launched.Update(FromCuda(cudaEventRecord(stop, stream), "cudaEventRecord"));
        launched.Update(FromCuda(cudaEventSynchronize(stop), "cudaEventSynchronize"));
        float milliseconds = 0;
        launched.Update(
            FromCuda(cudaEventElapsedTime(&milliseconds, start, stop), "cudaEventElapsedTime"));
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
        timing.milliseconds = milliseconds / repetitions;
        launched.Update(memory.Finish());
        return launched;
      });
  if (!status.ok()) return status;
  return timing;
}

absl::Status CudaBackend::ApplyRotary(const RotaryFrequencies& frequencies,
                                      std::span<const int64_t> positions,
                                      const MutableTensorView& data) const {
  if (!device_->unavailable_reason.empty()) {
    return fallback_->ApplyRotary(frequencies, positions, data);
  }
  return device_->OnStream([&](RequestMemory& memory, cudaStream_t stream) -> absl::Status {
    const size_t bytes = data.num_elements() * SizeOf(data.dtype);
    absl::StatusOr<std::byte*> tensor = memory.Upload(data.data, bytes);
    absl::StatusOr<double*> inv_freq =
        memory.Upload(frequencies.inv_freq.data(), frequencies.inv_freq.size());
    absl::StatusOr<int64_t*> device_positions = memory.Upload(positions.data(), positions.size());
    absl::StatusOr<CosSinPair*> table =
        memory.Allocate<CosSinPair>(RotaryApplyTablePairs(frequencies, data.shape));
    if (absl::Status status = FirstError(
            {tensor.status(), inv_freq.status(), device_positions.status(), table.status()});
        !status.ok()) {
      return status;
    }
    StreamLauncher launch{stream, absl::OkStatus()};
    LaunchRotaryApply(PlanRotaryApply(frequencies, data.dtype, data.shape,
                                      {*tensor, *inv_freq, *device_positions, *table}),
                      launch);
    if (!launch.status.ok()) return launch.status;
    if (absl::Status status = memory.Download(data.data, *tensor, bytes); !status.ok()) {
      return status;
    }
    return memory.Finish();
  });
}

}  // namespace attnserve::cuda
