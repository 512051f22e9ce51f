// The memory of one cuda backend request on one stream. Device buffers come from the
// stream-ordered pool (cudaMallocAsync) and go back to it in stream order. Host data crosses
// through page-locked staging (PinnedArena), so that every copy is truly asynchronous: from
// pageable memory the driver copies synchronously through a staging buffer of its own. Host
// code, built by g++ against the CUDA runtime API.
#ifndef ATTNSERVE_KERNELS_CUDA_DEVICE_MEMORY_H_
#define ATTNSERVE_KERNELS_CUDA_DEVICE_MEMORY_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attnserve::cuda {

// OOM (device or page-locked host memory) is RESOURCE_EXHAUSTED, the client's to retry; every
// other CUDA failure is INTERNAL, with CUDA's error string.
absl::Status FromCuda(cudaError_t error, const char* what);

#define ATTN_CUDA_RETURN_IF_ERROR(call)                                                   \
  do {                                                                                    \
    if (absl::Status status = ::attnserve::cuda::FromCuda((call), #call); !status.ok()) { \
      return status;                                                                      \
    }                                                                                     \
  } while (false)

// Page-locked host memory owned by one stream. A request takes pieces of it; the next request,
// once the stream has finished the last one, starts over. When a request needs more than the
// arena holds it adds a chunk (pieces already handed out stay valid); the next Reset merges the
// chunks into one, so steady traffic allocates nothing.
class PinnedArena {
 public:
  PinnedArena() = default;
  PinnedArena(const PinnedArena&) = delete;
  PinnedArena& operator=(const PinnedArena&) = delete;
  ~PinnedArena();

  // Only when no copy of the stream uses the arena.
  absl::Status Reset();
  absl::StatusOr<std::byte*> Take(size_t bytes);

 private:
  struct Chunk {
    std::byte* data;
    size_t size;
  };
  std::vector<Chunk> chunks_;
  size_t used_ = 0;   // of the last chunk
  size_t taken_ = 0;  // by this request, over every chunk
};

class RequestMemory {
 public:
  // Waits for whatever the stream still runs, then resets `staging` for this request.
  static absl::StatusOr<RequestMemory> Begin(cudaStream_t stream, PinnedArena& staging);
  RequestMemory(RequestMemory&&) = default;
  ~RequestMemory();  // frees the device buffers in stream order

  absl::StatusOr<std::byte*> Allocate(size_t bytes);
  template <typename T>
  absl::StatusOr<T*> Allocate(size_t count) {
    absl::StatusOr<std::byte*> bytes = Allocate(count * sizeof(T));
    if (!bytes.ok()) return bytes.status();
    return reinterpret_cast<T*>(*bytes);
  }

  // A device copy of `bytes` of host memory, queued on the stream.
  absl::StatusOr<std::byte*> Upload(const void* host, size_t bytes);
  template <typename T>
  absl::StatusOr<T*> Upload(const T* host, size_t count) {
    absl::StatusOr<std::byte*> bytes = Upload(static_cast<const void*>(host), count * sizeof(T));
    if (!bytes.ok()) return bytes.status();
    return reinterpret_cast<T*>(*bytes);
  }

  // Queues a copy of `bytes` of device memory to `host`; it lands there in Finish.
  absl::Status Download(void* host, const void* device, size_t bytes);

  // Waits for the stream and lands the downloads.
  absl::Status Finish();

 private:
  RequestMemory(cudaStream_t stream, PinnedArena& staging) : stream_(stream), staging_(&staging) {}

  struct PendingDownload {
    void* host;
    const std::byte* staged;
    size_t bytes;
  };
  cudaStream_t stream_;
  PinnedArena* staging_;
  std::vector<void*> allocations_;
  std::vector<PendingDownload> downloads_;
};

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_DEVICE_MEMORY_H_
