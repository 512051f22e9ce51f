#include "server/engine/self_check.h"

#include <cmath>
#include <cstddef>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/numeric/tensor_convert.h"
#include "kernels/reference/reference_attention.h"

namespace attnserve {
namespace {

// A deterministic, non-constant fill (no RNG needed): element n = sin(0.37 n + phase).
std::vector<std::byte> Fill(DataType dtype, int64_t count, double phase) {
  std::vector<std::byte> bytes(count * SizeOf(dtype));
  for (int64_t n = 0; n < count; ++n) {
    StoreElement(dtype, bytes.data(), n, static_cast<float>(std::sin(0.37 * n + phase)));
  }
  return bytes;
}

absl::Status CheckOne(const Backend& backend, const std::string& name, DataType dtype) {
  AttentionProblem problem;
  problem.shape = {/*batch=*/1,     /*q_len=*/3,      /*kv_len=*/7,
                   /*heads=*/4,     /*kv_heads=*/2,
                   /*head_dim=*/16, /*v_head_dim=*/16};
  const AttentionShape& s = problem.shape;
  const std::vector<std::byte> query = Fill(dtype, s.q_len * s.heads * s.head_dim, 0.3);
  const std::vector<std::byte> key = Fill(dtype, s.kv_len * s.kv_heads * s.head_dim, 1.1);
  const std::vector<std::byte> value = Fill(dtype, s.kv_len * s.kv_heads * s.v_head_dim, 2.0);
  problem.query = {dtype, {1, s.q_len, s.heads, s.head_dim}, query.data()};
  problem.key = {dtype, {1, s.kv_len, s.kv_heads, s.head_dim}, key.data()};
  problem.value = {dtype, {1, s.kv_len, s.kv_heads, s.v_head_dim}, value.data()};
  problem.rotary = RotarySpec{10000, 16, false, YarnScaling{4, 4096}};
  problem.alibi = AlibiSpec{};
  problem.causal = true;
  problem.softmax_scale = 0.25;
  problem.position_offsets = {50000};

  std::vector<float> output(s.q_len * s.heads * s.v_head_dim);
  const AttentionOutputs outputs{{DataType::kFloat32,
                                  {1, s.q_len, s.heads, s.v_head_dim},
                                  reinterpret_cast<std::byte*>(output.data())}};
  const absl::Status status = backend.Run(problem, outputs, /*should_stop=*/{});
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("backend ", name, " failed its self-check on ",
                                            ToString(dtype), ": ", status.message()));
  }
  const ReferenceAttentionResult expected = ComputeReferenceAttention(problem, false);
  const double error =
      RelativeL2Error(std::vector<double>(output.begin(), output.end()), expected.output);
  if (!(error < kFloat32Tolerance)) {
    return absl::InternalError(absl::StrCat("backend ", name, " is off by relative L2 error ",
                                            error, " on ", ToString(dtype), " (limit 1e-5)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckBackendsCompute(const BackendRegistry& backends) {
  for (const BackendDescription& description : backends.descriptions()) {
    absl::StatusOr<BackendRegistry::Selected> backend = backends.Select(description.name);
    if (!backend.ok()) return backend.status();
    for (DataType dtype : description.dtypes) {
      if (absl::Status status = CheckOne(*backend->backend, description.name, dtype);
          !status.ok()) {
        return status;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace attnserve
