// The interface every compute backend (reference, cpu, later cuda) implements. The engine owns
// the backends for the server's lifetime. Run may be called from several threads at once.
#ifndef ATTNSERVE_KERNELS_API_BACKEND_H_
#define ATTNSERVE_KERNELS_API_BACKEND_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kernels/api/attention_problem.h"
#include "kernels/api/data_type.h"
#include "kernels/api/tensor_view.h"
#include "kernels/encoding/rotary_frequencies.h"

namespace attnserve {

struct BackendDescription {
  std::string name;                  // what AttentionRequest.backend names to select it
  std::vector<std::string> devices;  // human-readable, e.g. "cpu: 2 threads"
  std::vector<DataType> dtypes;      // input dtypes it accepts
  std::string description;
};

// Polled by a backend between units of work (a block of query rows); when it returns true the
// backend stops and returns CANCELLED, so a client that left costs at most one unit. An empty
// StopCheck never stops.
using StopCheck = std::function<bool()>;

class Backend {
 public:
  virtual ~Backend() = default;

  virtual BackendDescription Describe() const = 0;

  // Computes `problem` into `outputs`, whose buffers have the shapes AttentionOutputs documents.
  // Stopped by `should_stop`, the outputs hold partial results and must not be used.
  virtual absl::Status Run(const AttentionProblem& problem, const AttentionOutputs& outputs,
                           const StopCheck& should_stop) const = 0;

  // Rotates `data` ([batch, seq, heads, head_dim], in its own dtype) in place with RoPE, element
  // (b, s) at positions[s]: the ApplyRotary RPC. Backends with a RoPE kernel of their own
  // override it; the default is UNIMPLEMENTED, and the caller then rotates on the host
  // (encoding/rotary_apply.h).
  virtual absl::Status ApplyRotary(const RotaryFrequencies& /*frequencies*/,
                                   std::span<const int64_t> /*positions*/,
                                   const MutableTensorView& /*data*/) const {
    return absl::UnimplementedError("this backend has no RoPE kernel of its own");
  }
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_API_BACKEND_H_
