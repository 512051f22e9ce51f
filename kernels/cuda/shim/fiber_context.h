// The shim's fiber switch: a saved stack pointer and a hand-written switch of the callee-saved
// registers (x86-64; other machines use ucontext). swapcontext would do, but it makes a
// sigprocmask system call on every switch, and the shim switches at every warp collective:
// this is about 20x faster. Not thread-safe; a fiber belongs to one thread.
#ifndef ATTNSERVE_KERNELS_CUDA_SHIM_FIBER_CONTEXT_H_
#define ATTNSERVE_KERNELS_CUDA_SHIM_FIBER_CONTEXT_H_

#include <cstddef>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace attnserve::cudashim {

class FiberContext {
 public:
  // Makes the next Switch to this context run `entry()` on `stack`; entry must never return.
  void Prepare(std::byte* stack, size_t stack_bytes, void (*entry)());

  // Saves the running context into `from` and continues `to`.
  static void Switch(FiberContext& from, FiberContext& to);

 private:
#if defined(__x86_64__)
  void* stack_pointer_ = nullptr;
#else
  ucontext_t context_;
#endif
};

}  // namespace attnserve::cudashim

#endif  // ATTNSERVE_KERNELS_CUDA_SHIM_FIBER_CONTEXT_H_
