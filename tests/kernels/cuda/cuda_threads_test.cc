// The cuda kernels with lanes as OS threads: the mode the sanitizer builds run (there the shim
// makes every launch threaded), so AddressSanitizer and UBSan see the kernels' memory accesses.
#include "gtest/gtest.h"
#include "kernels/cuda/shim_backend.h"
#include "kernels/numeric/accuracy.h"
#include "tests/kernels/cuda/kernel_expectations.h"
#include "tests/support/random_problem.h"

namespace attnserve::cuda {
namespace {

using cudashim::LaneMode;

// A small flash case with RoPE, ALiBi and two key tiles, and a SIMT decode with splits.
TEST(CudaKernelsOnThreads, FlashAndSimtMatchReference) {
  const ShimCudaBackend threads({LaneMode::kThreads, 132});
  AttentionProblem flash;
  flash.shape = {1, 10, 70, 2, 1, 64, 64};
  flash.causal = true;
  flash.rotary = RotarySpec{10000, 64, false, YarnScaling{4, 4096}};
  flash.alibi = AlibiSpec{};
  auto owned = attnserve::testing::MakeRandomProblem(flash, DataType::kBFloat16, 21);
  ExpectMatchesReference(threads, owned->problem, DataType::kBFloat16, kHalfTolerance);

  AttentionProblem decode;
  decode.shape = {2, 1, 600, 8, 2, 64, 64};
  decode.causal = true;
  decode.rotary = RotarySpec{10000, 64, false, std::monostate{}};
  decode.alibi = AlibiSpec{};
  decode.position_offsets = {5000, 17};
  decode.kv_lengths = {600, 513};
  owned = attnserve::testing::MakeRandomProblem(decode, DataType::kFloat32, 22);
  ExpectMatchesReference(threads, owned->problem, DataType::kFloat32, kFloat32Tolerance);
}

}  // namespace
}  // namespace attnserve::cuda
