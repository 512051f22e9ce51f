// Bench scenario files: a weighted mix of request kinds in YAML or JSON (JSON is YAML), e.g.
//   kinds:
//     - name: decode
//       weight: 3
//       q_len: 1
//       kv_len: 4096
//       heads: 32
//       kv_heads: 8
//       head_dim: 128
//       dtype: bfloat16
//       causal: true
//       encoding: {rotary: {theta: 500000, llama3: {}}}
// Shape keys default as attnctl attention's flags do; `encoding` is the API's PositionEncoding
// in proto-JSON form; also window, position_offset, softmax_scale, backend, seed, v_head_dim.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_BENCH_SCENARIO_FILE_H_
#define ATTNSERVE_CLIENT_ATTNCTL_BENCH_SCENARIO_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/attnctl/bench/workload.h"

namespace attnserve::attnctl {

// The kinds of the scenario at `path`, with random inputs built; errors name the kind and key.
absl::StatusOr<std::vector<RequestKind>> ReadScenarioFile(const std::string& path);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_BENCH_SCENARIO_FILE_H_
