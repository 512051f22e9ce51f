// The tensor-core and asynchronous-copy instructions the flash kernel relies on, each in a tiny
// wrapper: inline PTX under nvcc, an emulated twin on the CPU shim that reproduces the
// instruction's per-lane fragment layout (PTX ISA, "Matrix Fragments for mma.m16n8k16" and
// "ldmatrix"; tests/kernels/cuda/ptx_twins_test.cc checks each twin against that table).
//
// Fragments, for lane l with g = l / 4 and t = l % 4:
//   A (16x16, row-major)  a[0]=(g, 2t..2t+1)  a[1]=(g+8, 2t..)  a[2]=(g, 2t+8..)  a[3]=(g+8,
//   2t+8..) B (16x8, k x n)       b[0]=(k 2t..2t+1, n g)  b[1]=(k 2t+8..2t+9, n g) C/D (16x8, fp32)
//   c[0..1]=(g, 2t..2t+1)  c[2..3]=(g+8, 2t..2t+1)
// ldmatrix .x4: lane l gives the address of row l % 8 of 8x8 matrix l / 8 and receives, in
// register m, elements (g, 2t..2t+1) of matrix m, or with .trans (2t..2t+1, g).
#ifndef ATTNSERVE_KERNELS_CUDA_PTX_H_
#define ATTNSERVE_KERNELS_CUDA_PTX_H_

#include <type_traits>

#include "kernels/cuda/cuda_compat.h"

#if !defined(__CUDACC__)
#include <cstring>
#endif

namespace attnserve::cuda {

template <typename T>
inline constexpr bool kIsHalf = std::is_same_v<T, __half>;

#if !defined(__CUDACC__)
namespace twin {

template <typename T>
float BitsToFloat(uint16_t bits) {
  if constexpr (kIsHalf<T>) {
    __half_raw raw;
    raw.x = bits;
    return __half2float(__half(raw));
  } else {
    __nv_bfloat16_raw raw;
    raw.x = bits;
    return __bfloat162float(__nv_bfloat16(raw));
  }
}

inline uint16_t Low(uint32_t pair) { return static_cast<uint16_t>(pair & 0xFFFF); }
inline uint16_t High(uint32_t pair) { return static_cast<uint16_t>(pair >> 16); }

inline uint16_t ReadBits(const std::byte* address) {
  uint16_t bits;
  std::memcpy(&bits, address, sizeof(bits));
  return bits;
}

// One ldmatrix .x4 for the whole warp; `trans` selects the transposed form.
inline void LdMatrixX4(uint32_t (&regs)[4], const void* row_address, bool trans) {
  const std::byte* rows[32];
  const std::byte* mine = static_cast<const std::byte*>(row_address);
  cudashim::WarpAllGather(&mine, sizeof(mine), rows);
  const int lane = LaneIndex(), g = lane / 4, t = lane % 4;
  for (int m = 0; m < 4; ++m) {
    uint16_t low, high;
    if (trans) {
      low = ReadBits(rows[m * 8 + 2 * t] + 2 * g);
      high = ReadBits(rows[m * 8 + 2 * t + 1] + 2 * g);
    } else {
      low = ReadBits(rows[m * 8 + g] + 4 * t);
      high = ReadBits(rows[m * 8 + g] + 4 * t + 2);
    }
    regs[m] = static_cast<uint32_t>(low) | (static_cast<uint32_t>(high) << 16);
  }
}

// One mma.sync.m16n8k16 (fp32 accumulate) for the whole warp.
template <typename T>
void Mma16816(float (&acc)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  struct Operands {
    uint32_t a[4];
    uint32_t b[2];
    float c[4];
  };
  Operands mine;
  std::memcpy(mine.a, a, sizeof(mine.a));
  std::memcpy(mine.b, b, sizeof(mine.b));
  std::memcpy(mine.c, acc, sizeof(mine.c));
  Operands all[32];
  cudashim::WarpAllGather(&mine, sizeof(mine), all);
  float matrix_a[16][16], matrix_b[16][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    for (int r = 0; r < 4; ++r) {
      const int row = g + 8 * (r % 2), col = 2 * t + 8 * (r / 2);
      matrix_a[row][col] = BitsToFloat<T>(Low(all[l].a[r]));
      matrix_a[row][col + 1] = BitsToFloat<T>(High(all[l].a[r]));
    }
    for (int r = 0; r < 2; ++r) {
      matrix_b[2 * t + 8 * r][g] = BitsToFloat<T>(Low(all[l].b[r]));
      matrix_b[2 * t + 8 * r + 1][g] = BitsToFloat<T>(High(all[l].b[r]));
    }
  }
  const int lane = LaneIndex(), g = lane / 4, t = lane % 4;
  for (int i = 0; i < 4; ++i) {
    const int row = g + 8 * (i / 2), col = 2 * t + i % 2;
    float sum = acc[i];
    for (int k = 0; k < 16; ++k) sum += matrix_a[row][k] * matrix_b[k][col];
    acc[i] = sum;
  }
}

}  // namespace twin
#endif

// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16
ATTN_DEVICE void LdMatrixX4(uint32_t (&regs)[4], const void* shared_row) {
#if defined(__CUDACC__)
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(shared_row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(regs[0]), "=r"(regs[1]), "=r"(regs[2]), "=r"(regs[3])
               : "r"(address));
#else
  twin::LdMatrixX4(regs, shared_row, /*trans=*/false);
#endif
}

ATTN_DEVICE void LdMatrixX4Trans(uint32_t (&regs)[4], const void* shared_row) {
#if defined(__CUDACC__)
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(shared_row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(regs[0]), "=r"(regs[1]), "=r"(regs[2]), "=r"(regs[3])
               : "r"(address));
#else
  twin::LdMatrixX4(regs, shared_row, /*trans=*/true);
#endif
}

// acc += A * B on tensor cores; T is __half or __nv_bfloat16.
template <typename T>
ATTN_DEVICE void Mma16816(float (&acc)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDACC__)
  if constexpr (kIsHalf<T>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
        "{%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(acc[0]), "+f"(acc[1]), "+f"(acc[2]), "+f"(acc[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, "
        "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(acc[0]), "+f"(acc[1]), "+f"(acc[2]), "+f"(acc[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
#else
  twin::Mma16816<T>(acc, a, b);
#endif
}

// cp.async.cg.shared.global of 16 bytes; with `valid` false the destination is zero-filled
// (src-size 0) and `global` is not read.
ATTN_DEVICE void CpAsync16(void* shared, const void* global, bool valid) {
#if defined(__CUDACC__)
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(address), "l"(global),
               "r"(valid ? 16 : 0));
#else
  cudashim::QueueAsyncCopy(shared, global, 16, !valid);
#endif
}

ATTN_DEVICE void CpAsyncCommit() {
#if defined(__CUDACC__)
  asm volatile("cp.async.commit_group;\n" ::);
#else
  cudashim::CommitAsyncCopies();
#endif
}

// Waits until at most `GroupsLeft` committed groups are still in flight.
template <int GroupsLeft>
ATTN_DEVICE void CpAsyncWait() {
#if defined(__CUDACC__)
  asm volatile("cp.async.wait_group %0;\n" ::"n"(GroupsLeft));
#else
  cudashim::WaitAsyncCopies(GroupsLeft);
#endif
}

}  // namespace attnserve::cuda

#endif  // ATTNSERVE_KERNELS_CUDA_PTX_H_
