#include "kernels/cuda/device_memory.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace attnserve::cuda {
namespace {

// Pieces start on 256 bytes, as cudaMalloc's do: the copy engines move aligned blocks fastest.
constexpr size_t kPieceAlignment = 256;

size_t AlignUp(size_t bytes) {
  return (bytes + kPieceAlignment - 1) / kPieceAlignment * kPieceAlignment;
}

}  // namespace

absl::Status FromCuda(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return absl::OkStatus();
  const std::string message =
      absl::StrCat("cuda: ", what, ": ", cudaGetErrorString(error), " (error ", error, ")");
  if (error == cudaErrorMemoryAllocation) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

PinnedArena::~PinnedArena() {
  for (const Chunk& chunk : chunks_) cudaFreeHost(chunk.data);
}

absl::Status PinnedArena::Reset() {
  if (chunks_.size() > 1) {
    for (const Chunk& chunk : chunks_) cudaFreeHost(chunk.data);
    chunks_.clear();
    void* merged = nullptr;
    ATTN_CUDA_RETURN_IF_ERROR(cudaMallocHost(&merged, taken_));
    chunks_.push_back({static_cast<std::byte*>(merged), taken_});
  }
  used_ = 0;
  taken_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::byte*> PinnedArena::Take(size_t bytes) {
  const size_t piece = AlignUp(bytes);
  if (chunks_.empty() || used_ + piece > chunks_.back().size) {
    void* chunk = nullptr;
    ATTN_CUDA_RETURN_IF_ERROR(cudaMallocHost(&chunk, piece));
    chunks_.push_back({static_cast<std::byte*>(chunk), piece});
    used_ = 0;
  }
  std::byte* taken = chunks_.back().data + used_;
  used_ += piece;
  taken_ += piece;
  return taken;
}

absl::StatusOr<RequestMemory> RequestMemory::Begin(cudaStream_t stream, PinnedArena& staging) {
  // A request that failed half way may have left copies from the staging in flight.
  ATTN_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  if (absl::Status status = staging.Reset(); !status.ok()) return status;
  return RequestMemory(stream, staging);
}

RequestMemory::~RequestMemory() {
  for (void* pointer : allocations_) cudaFreeAsync(pointer, stream_);
}

absl::StatusOr<std::byte*> RequestMemory::Allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* pointer = nullptr;
  ATTN_CUDA_RETURN_IF_ERROR(cudaMallocAsync(&pointer, bytes, stream_));
  allocations_.push_back(pointer);
  return static_cast<std::byte*>(pointer);
}

absl::StatusOr<std::byte*> RequestMemory::Upload(const void* host, size_t bytes) {
  absl::StatusOr<std::byte*> device = Allocate(bytes);
  if (!device.ok() || bytes == 0) return device;
  absl::StatusOr<std::byte*> staged = staging_->Take(bytes);
  if (!staged.ok()) return staged.status();
  std::memcpy(*staged, host, bytes);
  ATTN_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(*device, *staged, bytes, cudaMemcpyHostToDevice, stream_));
  return device;
}

absl::Status RequestMemory::Download(void* host, const void* device, size_t bytes) {
  if (bytes == 0) return absl::OkStatus();
  absl::StatusOr<std::byte*> staged = staging_->Take(bytes);
  if (!staged.ok()) return staged.status();
  ATTN_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(*staged, device, bytes, cudaMemcpyDeviceToHost, stream_));
  downloads_.push_back({host, *staged, bytes});
  return absl::OkStatus();
}

absl::Status RequestMemory::Finish() {
  ATTN_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  for (const PendingDownload& download : downloads_) {
    std::memcpy(download.host, download.staged, download.bytes);
  }
  downloads_.clear();
  return absl::OkStatus();
}

}  // namespace attnserve::cuda
