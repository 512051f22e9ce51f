// The interface every compute backend (reference, cpu, later cuda) implements. The engine owns
// the backends for the server's lifetime. Run may be called from several threads at once.
#ifndef ATTNSERVE_KERNELS_API_BACKEND_H_
#define ATTNSERVE_KERNELS_API_BACKEND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kernels/api/attention_problem.h"
#include "kernels/api/data_type.h"

namespace attnserve {

struct BackendDescription {
  std::string name;                  // what AttentionRequest.backend names to select it
  std::vector<std::string> devices;  // human-readable, e.g. "cpu: 2 threads"
  std::vector<DataType> dtypes;      // input dtypes it accepts
  std::string description;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual BackendDescription Describe() const = 0;

  // Computes `problem` into `outputs`, whose buffers have the shapes AttentionOutputs documents.
  virtual absl::Status Run(const AttentionProblem& problem,
                           const AttentionOutputs& outputs) const = 0;
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_API_BACKEND_H_
