// A CUDA-execution shim: lets the kernel sources of kernels/cuda/ build with g++ and run on the
// CPU, so that the very code nvcc compiles is tested against the float64 reference on machines
// without a GPU. Included (through kernels/cuda/cuda_compat.h) only when not compiling with nvcc.
//
// A launch runs its blocks one after another. The threads of a block run either as fibers on
// the calling thread (fast) or as OS threads meeting at std::barrier (slow, but ThreadSanitizer
// and AddressSanitizer see their races and overflows). Fibers are scheduled adversarially: one
// warp runs until all its lanes wait at __syncthreads before the next warp starts, so a missing
// __syncthreads lets a warp read shared memory its neighbours have not written yet. Dynamic
// shared memory starts as 0xFF bytes, a NaN in every float type, and cp.async copies land only
// at the matching wait_group, so a missing wait reads poison too.
//
// Only what the kernels use exists: dynamic shared memory, __syncthreads, full-warp shuffles and
// the warp-collective primitives the PTX twins (kernels/cuda/ptx.h) are built on. Blocks must be
// whole warps. A deadlock (lanes waiting on barriers no one else will reach) aborts with a
// message. Launches from several host threads at once are independent.
#ifndef ATTNSERVE_KERNELS_CUDA_SHIM_SHIM_RUNTIME_H_
#define ATTNSERVE_KERNELS_CUDA_SHIM_SHIM_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <tuple>
#include <utility>

// clang-format off
#include "kernels/cuda/shim/qualifiers.h"  // before any CUDA header
#include <vector_types.h>                  // dim3, as CUDA declares it (host-usable)
// clang-format on

namespace attnserve::cudashim {

using Dim3 = ::dim3;

enum class LaneMode {
  kFibers,   // every lane a ucontext fiber on the launching thread
  kThreads,  // every lane an OS thread (for ThreadSanitizer / AddressSanitizer runs)
};

struct LaunchConfig {
  Dim3 grid;
  Dim3 block;
  size_t shared_bytes = 0;
  LaneMode mode = LaneMode::kFibers;
};

inline constexpr int kWarpSize = 32;

// What a lane knows about itself while it runs; valid only inside a kernel.
struct LaneState {
  Dim3 thread_idx;
  Dim3 block_idx;
  Dim3 block_dim;
  Dim3 grid_dim;
  int linear_thread = 0;
};

const LaneState& CurrentLane();
std::byte* BlockSharedMemory();
void SyncThreads();
void SyncWarp();

// The warp's lanes each contribute `bytes` bytes and each receive all 32 contributions,
// ordered by lane: the one primitive behind shuffles and the emulated PTX twins.
void WarpAllGather(const void* mine, size_t bytes, void* all);

// cp.async emulation: a copy is queued in the lane's open group and performed only when a
// wait leaves fewer than `groups_left` newer groups pending.
void QueueAsyncCopy(void* destination, const void* source, size_t bytes, bool zero_fill);
void CommitAsyncCopies();
void WaitAsyncCopies(int groups_left);

// Runs `body` once per lane of every block of `config`, then returns.
void RunGrid(const LaunchConfig& config, const std::function<void()>& body);

// The shim's kernel launch: ATTN_LAUNCH in cuda_compat.h expands to this.
template <typename... Params, typename... Args>
void Launch(void (*kernel)(Params...), const LaunchConfig& config, Args&&... args) {
  std::tuple<std::decay_t<Params>...> params(std::forward<Args>(args)...);
  RunGrid(config, [&] { std::apply(kernel, params); });
}

template <typename T>
T ShuffleFrom(T value, int source_lane) {
  T all[kWarpSize];
  WarpAllGather(&value, sizeof(T), all);
  return all[source_lane & (kWarpSize - 1)];
}

}  // namespace attnserve::cudashim

#endif  // ATTNSERVE_KERNELS_CUDA_SHIM_SHIM_RUNTIME_H_
