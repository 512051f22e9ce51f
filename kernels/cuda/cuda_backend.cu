#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/attention_launch.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rotary_launch.h"

namespace attnserve::cuda {
namespace {

// OOM is the client's problem to retry; every other CUDA failure is ours.
absl::Status FromCuda(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return absl::OkStatus();
  const std::string message =
      absl::StrCat("cuda: ", what, ": ", cudaGetErrorString(error), " (error ", error, ")");
  if (error == cudaErrorMemoryAllocation) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

absl::Status FirstError(std::initializer_list<absl::Status> statuses) {
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

#define ATTN_CUDA_RETURN_IF_ERROR(call)                                             \
  do {                                                                              \
    if (absl::Status status = FromCuda((call), #call); !status.ok()) return status; \
  } while (false)

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

// Device memory of one request, from the stream-ordered pool; freed in stream order.
class DeviceBuffers {
 public:
  explicit DeviceBuffers(cudaStream_t stream) : stream_(stream) {}
  ~DeviceBuffers() {
    for (void* pointer : allocations_) cudaFreeAsync(pointer, stream_);
  }

  template <typename T>
  absl::StatusOr<T*> Allocate(size_t count) {
    if (count == 0) return nullptr;
    void* pointer = nullptr;
    ATTN_CUDA_RETURN_IF_ERROR(cudaMallocAsync(&pointer, count * sizeof(T), stream_));
    allocations_.push_back(pointer);
    return static_cast<T*>(pointer);
  }

  // Allocates and fills from host memory.
  template <typename T>
  absl::StatusOr<T*> Upload(const T* host, size_t count) {
    absl::StatusOr<T*> device = Allocate<T>(count);
    if (!device.ok() || count == 0) return device;
    ATTN_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(*device, host, count * sizeof(T), cudaMemcpyHostToDevice, stream_));
    return device;
  }

 private:
  cudaStream_t stream_;
  std::vector<void*> allocations_;
};

}  // namespace

struct CudaBackend::Device {
  std::string unavailable_reason;
  std::string name;
  int ordinal = 0;
  int multiprocessors = 0;
  size_t memory_bytes = 0;

  std::mutex streams_mutex;
  std::vector<cudaStream_t> idle_streams;  // one per concurrent Run, kept for reuse

  // Runs `work` on a stream of the pool, one the caller has to itself until `work` returns.
  template <typename Work>
  absl::Status OnStream(Work work) {
    absl::StatusOr<cudaStream_t> stream = TakeStream();
    if (!stream.ok()) return stream.status();
    absl::Status status = work(*stream);
    std::lock_guard<std::mutex> lock(streams_mutex);
    idle_streams.push_back(*stream);
    return status;
  }

 private:
  absl::StatusOr<cudaStream_t> TakeStream() {
    {
      std::lock_guard<std::mutex> lock(streams_mutex);
      if (!idle_streams.empty()) {
        cudaStream_t stream = idle_streams.back();
        idle_streams.pop_back();
        return stream;
      }
    }
    ATTN_CUDA_RETURN_IF_ERROR(cudaSetDevice(ordinal));
    cudaStream_t stream;
    ATTN_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    return stream;
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

CudaBackend::~CudaBackend() {
  for (cudaStream_t stream : device_->idle_streams) cudaStreamDestroy(stream);
}

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

absl::Status CudaBackend::Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                              const StopCheck& should_stop) const {
  if (!device_->unavailable_reason.empty() || outputs.probabilities != nullptr) {
    return fallback_->Run(problem, outputs, should_stop);
  }
  absl::StatusOr<AttentionPlan> planned = PlanAttention(problem, device_->multiprocessors);
  if (absl::IsUnimplemented(planned.status())) return fallback_->Run(problem, outputs, should_stop);
  if (!planned.ok()) return planned.status();
  const AttentionPlan& plan = *planned;

  return device_->OnStream([&](cudaStream_t stream) -> absl::Status {
    DeviceBuffers memory(stream);
    const size_t element = SizeOf(problem.query.dtype);
    AttentionBuffers buffers;
    auto upload_bytes = [&](const TensorView& view) {
      return memory.Upload(view.data, view.num_elements() * element);
    };
    absl::StatusOr<std::byte*> query = upload_bytes(problem.query);
    absl::StatusOr<std::byte*> key = upload_bytes(problem.key);
    absl::StatusOr<std::byte*> value = upload_bytes(problem.value);
    const size_t output_bytes = outputs.output.num_elements() * SizeOf(outputs.output.dtype);
    absl::StatusOr<std::byte*> output = memory.Allocate<std::byte>(output_bytes);
    const size_t lse_count = problem.shape.batch * problem.shape.heads * problem.shape.q_len;
    absl::StatusOr<float*> lse = memory.Allocate<float>(outputs.lse ? lse_count : 0);
    absl::StatusOr<int64_t*> kv_lengths =
        memory.Upload(problem.kv_lengths.data(), problem.kv_lengths.size());
    absl::StatusOr<int64_t*> offsets =
        memory.Upload(problem.position_offsets.data(), problem.position_offsets.size());
    absl::StatusOr<float*> slopes =
        memory.Upload(plan.alibi_slopes.data(), plan.alibi_slopes.size());
    const std::vector<double> no_frequencies;
    const std::vector<double>& inv_freq =
        plan.encoding.rotary ? plan.encoding.rotary->inv_freq : no_frequencies;
    absl::StatusOr<double*> frequencies = memory.Upload(inv_freq.data(), inv_freq.size());
    absl::StatusOr<CosSinPair*> table = memory.Allocate<CosSinPair>(plan.table_pairs);
    absl::StatusOr<float*> partial_output = memory.Allocate<float>(plan.partial_output_elements);
    absl::StatusOr<float*> partial_lse = memory.Allocate<float>(plan.partial_lse_elements);
    if (absl::Status status = FirstError(
            {query.status(), key.status(), value.status(), output.status(), lse.status(),
             kv_lengths.status(), offsets.status(), slopes.status(), frequencies.status(),
             table.status(), partial_output.status(), partial_lse.status()});
        !status.ok()) {
      return status;
    }
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

    StreamLauncher launch{stream, absl::OkStatus()};
    LaunchAttention(plan, problem.query.dtype,
                    MakeKernelParams(problem, plan, buffers, outputs.output.dtype),
                    MakeRotaryTableParams(problem, plan, buffers), launch);
    if (!launch.status.ok()) return launch.status;
    ATTN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(outputs.output.data, *output, output_bytes,
                                              cudaMemcpyDeviceToHost, stream));
    if (outputs.lse != nullptr) {
      ATTN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(outputs.lse, *lse, lse_count * sizeof(float),
                                                cudaMemcpyDeviceToHost, stream));
    }
    return FromCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  });
}

absl::Status CudaBackend::ApplyRotary(const RotaryFrequencies& frequencies,
                                      std::span<const int64_t> positions,
                                      const MutableTensorView& data) const {
  if (!device_->unavailable_reason.empty()) {
    return fallback_->ApplyRotary(frequencies, positions, data);
  }
  return device_->OnStream([&](cudaStream_t stream) -> absl::Status {
    DeviceBuffers memory(stream);
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
    ATTN_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(data.data, *tensor, bytes, cudaMemcpyDeviceToHost, stream));
    return FromCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  });
}

}  // namespace attnserve::cuda
