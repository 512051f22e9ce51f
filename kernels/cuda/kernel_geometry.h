// The launch geometry of the attention kernels, in plain C++ so that host planning
// (attention_plan.h) and the kernels (flash_attention_kernel.h, simt_attention_kernel.h) agree
// on one set of numbers without the host code including device headers.
#ifndef ATTNSERVE_KERNELS_CUDA_KERNEL_GEOMETRY_H_
#define ATTNSERVE_KERNELS_CUDA_KERNEL_GEOMETRY_H_

#include <cstddef>
#include <cstdint>

#include "kernels/math/host_device.h"

namespace attnserve::cuda {

// Flash kernel: 4 warps of 16 packed rows each; key/value tiles of 64.
inline constexpr int kFlashWarps = 4;
inline constexpr int kFlashThreads = 32 * kFlashWarps;
inline constexpr int kFlashRowsPerBlock = 16 * kFlashWarps;
inline constexpr int kFlashKeysPerTile = 64;

ATTN_HOST_DEVICE constexpr bool FlashSupportsHeadDim(int64_t head_dim) {
  return head_dim == 64 || head_dim == 128;
}

// Shared-memory rows are padded by 16 bytes so that the 8 rows one ldmatrix reads fall in
// different banks.
ATTN_HOST_DEVICE constexpr int FlashRowPitch(int head_dim) { return head_dim + 8; }

// The Q tile, two K tiles and two V tiles, in 2-byte elements.
ATTN_HOST_DEVICE constexpr size_t FlashSharedBytes(int head_dim) {
  return size_t{5} * kFlashRowsPerBlock * FlashRowPitch(head_dim) * 2;
}

// SIMT kernel: one warp per packed row, 4 per block; each lane owns value columns l, l + 32, ...
inline constexpr int kSimtWarpsPerBlock = 4;
inline constexpr int kSimtThreads = 32 * kSimtWarpsPerBlock;
inline constexpr int kSimtMaxValueColumnsPerLane = 8;
inline constexpr int kSimtMaxHeadDim = 32 * kSimtMaxValueColumnsPerLane;

ATTN_HOST_DEVICE constexpr size_t SimtSharedBytes(int head_dim) {
  return sizeof(float) * kSimtWarpsPerBlock * static_cast<size_t>(head_dim);
}

// Combine kernel: one warp per output row.
inline constexpr int kCombineWarpsPerBlock = 4;
inline constexpr int kCombineThreads = 32 * kCombineWarpsPerBlock;

// RoPE kernels: plain 1-D blocks.
inline constexpr int kRotaryThreads = 256;

// Pairs one thread of RotaryApplyKernel rotates when the tensor allows 16-byte accesses: an
// interleaved run of n pairs is 2n adjacent elements; a half-split run is n elements in each half.
ATTN_HOST_DEVICE constexpr int WideRotaryPairs(int element_bytes, bool interleaved) {
  return interleaved ? 8 / element_bytes : 16 / element_bytes;
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_KERNEL_GEOMETRY_H_
