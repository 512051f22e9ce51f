// The emulated twins of ptx.h against the fragment layouts of the PTX ISA document, transcribed
// here as tables: "Matrix Fragments for mma.m16n8k16 with floating point type" (A, B, C/D) and
// the ldmatrix section ("each thread receives ... row = laneid / 4, two elements"). The twins
// compute their layouts their own way; these tables are the document's wording.
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/ptx.h"

namespace attnserve::cuda {
namespace {

struct Position {
  int row;
  int col;
};

// PTX ISA, A fragment of m16n8k16 (.f16/.bf16): a_i for i in 0..7, two per register.
// row = groupID for a0, a1, a4, a5 and groupID + 8 for a2, a3, a6, a7;
// col = threadID_in_group * 2 + (i & 1) for i < 4, and + 8 for i >= 4.
Position AFragment(int lane, int i) {
  const int group_id = lane >> 2, thread_in_group = lane % 4;
  const int row = (i < 2 || (i >= 4 && i < 6)) ? group_id : group_id + 8;
  const int col = thread_in_group * 2 + (i & 1) + (i >= 4 ? 8 : 0);
  return {row, col};
}

// B fragment (k x n): b_i for i in 0..3. row = threadID_in_group * 2 + (i & 1) for i < 2, and
// + 8 for i >= 2; col = groupID.
Position BFragment(int lane, int i) {
  const int group_id = lane >> 2, thread_in_group = lane % 4;
  return {thread_in_group * 2 + (i & 1) + (i >= 2 ? 8 : 0), group_id};
}

// C/D fragment (f32): c_i for i in 0..3. row = groupID for c0, c1 and groupID + 8 for c2, c3;
// col = threadID_in_group * 2 + (i & 1).
Position CFragment(int lane, int i) {
  const int group_id = lane >> 2, thread_in_group = lane % 4;
  return {i < 2 ? group_id : group_id + 8, thread_in_group * 2 + (i & 1)};
}

// ldmatrix: thread t receives, from each 8x8 matrix, "row = laneid / 4" and the two elements
// "col = (laneid % 4) * 2, +1"; .trans delivers the transpose of that.
Position LdMatrixElement(int lane, int element, bool trans) {
  const Position plain{lane / 4, (lane % 4) * 2 + element};
  return trans ? Position{plain.col, plain.row} : plain;
}

uint16_t HalfBits(float value) {
  const __half_raw raw = __half(value);
  return raw.x;
}

// A 32 x 16 shared tile of halves whose element (r, c) is r * 16 + c, read by one ldmatrix.x4:
// lane l names row l % 8 of matrix l / 8, matrix m sitting at rows 8 * (m % 2)...,
// columns 8 * (m / 2)....
__global__ void LdMatrixKernel(const uint16_t* tile, uint32_t* registers, bool trans) {
  __half* shared = reinterpret_cast<__half*>(DynamicSharedMemory());
  for (int i = LaneIndex(); i < 32 * 16; i += 32) {
    __half_raw raw;
    raw.x = tile[i];
    shared[i] = __half(raw);
  }
  __syncwarp();
  const int lane = LaneIndex(), matrix = lane / 8;
  const __half* row = shared + (matrix % 2 * 8 + lane % 8) * 16 + matrix / 2 * 8;
  uint32_t regs[4];
  if (trans) {
    LdMatrixX4Trans(regs, row);
  } else {
    LdMatrixX4(regs, row);
  }
  for (int m = 0; m < 4; ++m) registers[lane * 4 + m] = regs[m];
}

void CheckLdMatrix(bool trans) {
  std::vector<uint16_t> tile(32 * 16);
  for (int r = 0; r < 32; ++r) {
    for (int c = 0; c < 16; ++c) tile[r * 16 + c] = HalfBits(static_cast<float>(r * 16 + c));
  }
  std::vector<uint32_t> registers(32 * 4);
  cudashim::Launch(LdMatrixKernel, {dim3(1), dim3(32), 32 * 16 * 2, cudashim::LaneMode::kFibers},
                   static_cast<const uint16_t*>(tile.data()), registers.data(), trans);
  for (int lane = 0; lane < 32; ++lane) {
    for (int m = 0; m < 4; ++m) {
      for (int element = 0; element < 2; ++element) {
        const Position at = LdMatrixElement(lane, element, trans);
        const int row = m % 2 * 8 + at.row, col = m / 2 * 8 + at.col;
        const uint16_t bits = static_cast<uint16_t>(registers[lane * 4 + m] >> (16 * element));
        EXPECT_EQ(bits, tile[row * 16 + col])
            << "lane " << lane << " matrix " << m << " element " << element;
      }
    }
  }
}

TEST(LdMatrixTwin, DeliversThePtxFragmentOfEachMatrix) { CheckLdMatrix(false); }
TEST(LdMatrixTwin, TransDeliversTheTransposedFragment) { CheckLdMatrix(true); }

// One warp: each lane passes its fragments of A, B and C, and gets back its D.
template <typename T>
__global__ void MmaKernel(const uint32_t* a, const uint32_t* b, float* c) {
  const int lane = LaneIndex();
  const uint32_t a_regs[4] = {a[lane * 4], a[lane * 4 + 1], a[lane * 4 + 2], a[lane * 4 + 3]};
  const uint32_t b_regs[2] = {b[lane * 2], b[lane * 2 + 1]};
  float acc[4] = {c[lane * 4], c[lane * 4 + 1], c[lane * 4 + 2], c[lane * 4 + 3]};
  Mma16816<T>(acc, a_regs, b_regs);
  for (int i = 0; i < 4; ++i) c[lane * 4 + i] = acc[i];
}

template <typename T>
void CheckMma() {
  std::mt19937 random(17);
  std::uniform_real_distribution<float> uniform(-1, 1);
  // Values rounded to T, so the double product below sees exactly what the tensor core sees.
  float a[16][16], b[16][8], c[16][8];
  for (auto& row : a)
    for (float& x : row) x = static_cast<float>(T(uniform(random)));
  for (auto& row : b)
    for (float& x : row) x = static_cast<float>(T(uniform(random)));
  for (auto& row : c)
    for (float& x : row) x = uniform(random);
  const auto bits = [](float value) {
    const T rounded(value);
    uint16_t raw;
    std::memcpy(&raw, &rounded, sizeof(raw));
    return static_cast<uint32_t>(raw);
  };
  std::vector<uint32_t> a_regs(32 * 4), b_regs(32 * 2);
  std::vector<float> c_regs(32 * 4);
  for (int lane = 0; lane < 32; ++lane) {
    for (int i = 0; i < 8; ++i) {
      const Position at = AFragment(lane, i);
      a_regs[lane * 4 + i / 2] |= bits(a[at.row][at.col]) << (16 * (i % 2));
    }
    for (int i = 0; i < 4; ++i) {
      const Position at = BFragment(lane, i);
      b_regs[lane * 2 + i / 2] |= bits(b[at.row][at.col]) << (16 * (i % 2));
    }
    for (int i = 0; i < 4; ++i) {
      const Position at = CFragment(lane, i);
      c_regs[lane * 4 + i] = c[at.row][at.col];
    }
  }
  cudashim::Launch(MmaKernel<T>, {dim3(1), dim3(32), 0, cudashim::LaneMode::kFibers},
                   static_cast<const uint32_t*>(a_regs.data()),
                   static_cast<const uint32_t*>(b_regs.data()), c_regs.data());
  for (int lane = 0; lane < 32; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const Position at = CFragment(lane, i);
      double expected = c[at.row][at.col];
      for (int k = 0; k < 16; ++k) expected += double{a[at.row][k]} * b[k][at.col];
      EXPECT_NEAR(c_regs[lane * 4 + i], expected, 1e-5) << "lane " << lane << " d" << i;
    }
  }
}

TEST(MmaTwin, Float16MatchesTheDocumentedFragmentsAndAFloat64Product) { CheckMma<__half>(); }
TEST(MmaTwin, BFloat16MatchesTheDocumentedFragmentsAndAFloat64Product) {
  CheckMma<__nv_bfloat16>();
}

}  // namespace
}  // namespace attnserve::cuda
