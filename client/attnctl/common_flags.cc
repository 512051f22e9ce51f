#include "client/attnctl/common_flags.h"

#include <cmath>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

ABSL_FLAG(int32_t, verify, 0,
          "Recompute locally with the float64 reference and compare (relative L2 error; "
          "tolerance 1e-5 for float32 outputs, 1e-2 for float16/bfloat16, 1e-5 for lse and "
          "probabilities). attention: a bare --verify checks its response (exit 3 on a "
          "mismatch); bench: --verify K checks one response in K (exit 3 on any mismatch).");
ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "Server address, host:port or a gRPC target URI.");
ABSL_FLAG(double, timeout_seconds, 60, "Deadline of each RPC, in seconds.");
ABSL_FLAG(int64_t, heads, 8,
          "Query heads (attention: of the random inputs; alibi: slopes to get).");
ABSL_FLAG(int64_t, head_dim, 64, "Query/key head size (attention: random inputs; rotary: table).");
ABSL_FLAG(
    std::string, dtype, "float32",
    "Input dtype sent to the server: float32, float16 or bfloat16 (values are rounded to it).");
ABSL_FLAG(std::string, query, "",
          "Query .npy file (float16/32/64, C order), [batch, seq, heads, head_dim].");
ABSL_FLAG(std::string, output, "",
          "Write the result tensor to this .npy file: float16 results as '<f2', float32 as "
          "'<f4', and bfloat16 converted (exactly) to float32 '<f4', since numpy has no bfloat16.");

namespace attnserve::attnctl {

absl::StatusOr<ClientOptions> ClientOptionsFromFlags() {
  const double timeout_seconds = absl::GetFlag(FLAGS_timeout_seconds);
  if (!(timeout_seconds > 0) || !std::isfinite(timeout_seconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout_seconds=", timeout_seconds, " must be positive"));
  }
  ClientOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.timeout = absl::Seconds(timeout_seconds);
  return options;
}

}  // namespace attnserve::attnctl
