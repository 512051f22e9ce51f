#include "kernels/cuda/shim/fiber_context.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
// attnserve_fiber_switch(void** save, void* load): pushes the System V callee-saved registers
// and the SSE/x87 control words on the current stack, stores the stack pointer in *save, then
// does the reverse from `load` and returns into the context saved there.
asm(R"(
  .text
  .globl attnserve_fiber_switch
  .type attnserve_fiber_switch, @function
attnserve_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size attnserve_fiber_switch, .-attnserve_fiber_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");

extern "C" void attnserve_fiber_switch(void** save, void* load);
#endif

namespace attnserve::cudashim {

#if defined(__x86_64__)

void FiberContext::Prepare(std::byte* stack, size_t stack_bytes, void (*entry)()) {
  // The first switch pops the frame built here: control words, six registers, then `ret` into
  // entry with the stack aligned as after a call (rsp = 8 mod 16).
  auto top = reinterpret_cast<uintptr_t>(stack + stack_bytes) & ~uintptr_t{15};
  auto* frame = reinterpret_cast<uint64_t*>(top - 16);
  frame[0] = reinterpret_cast<uint64_t>(entry);
  frame -= 7;
  std::memset(frame, 0, 7 * sizeof(uint64_t));
  uint32_t mxcsr;
  uint16_t x87_control;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(x87_control));
  std::memcpy(frame, &mxcsr, sizeof(mxcsr));
  std::memcpy(reinterpret_cast<std::byte*>(frame) + 4, &x87_control, sizeof(x87_control));
  stack_pointer_ = frame;
}

void FiberContext::Switch(FiberContext& from, FiberContext& to) {
  attnserve_fiber_switch(&from.stack_pointer_, to.stack_pointer_);
}

#else

void FiberContext::Prepare(std::byte* stack, size_t stack_bytes, void (*entry)()) {
  getcontext(&context_);
  context_.uc_stack.ss_sp = stack;
  context_.uc_stack.ss_size = stack_bytes;
  context_.uc_link = nullptr;
  makecontext(&context_, entry, 0);
}

void FiberContext::Switch(FiberContext& from, FiberContext& to) {
  swapcontext(&from.context_, &to.context_);
}

#endif

}  // namespace attnserve::cudashim
