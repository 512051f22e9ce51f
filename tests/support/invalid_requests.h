// The validation contract as data: for each RPC a valid request and a list of mutations, each
// breaking one rule, with the exact status the server must answer. The decode unit tests and
// the live-server integration tests both run every case, so each rule is checked at the edge
// and end to end.
#ifndef ATTNSERVE_TESTS_SUPPORT_INVALID_REQUESTS_H_
#define ATTNSERVE_TESTS_SUPPORT_INVALID_REQUESTS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "attnserve/v1/attention.pb.h"

namespace attnserve::testing {

template <typename Request>
struct InvalidCase {
  std::string name;
  std::function<void(Request&)> mutate;
  std::string message;  // the whole status message
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;

  friend std::ostream& operator<<(std::ostream& out, const InvalidCase& c) { return out << c.name; }
};

// batch 2, q_len 3, kv_len 5, heads 4, kv_heads 2, head_dim 8, v_head_dim 6, random float32.
v1::AttentionRequest ValidAttentionRequest();
std::vector<InvalidCase<v1::AttentionRequest>> InvalidAttentionCases();

// query [1, 3, 2, 8] and key [1, 3, 1, 8], random float32.
v1::RotaryRequest ValidRotaryRequest();
std::vector<InvalidCase<v1::RotaryRequest>> InvalidRotaryCases();

v1::RotaryTableRequest ValidRotaryTableRequest();
std::vector<InvalidCase<v1::RotaryTableRequest>> InvalidRotaryTableCases();

v1::AlibiRequest ValidAlibiRequest();
std::vector<InvalidCase<v1::AlibiRequest>> InvalidAlibiCases();

v1::SinusoidalRequest ValidSinusoidalRequest();
std::vector<InvalidCase<v1::SinusoidalRequest>> InvalidSinusoidalCases();

// A random float32 tensor of `shape`.
v1::Tensor RandomTensor(const std::vector<int64_t>& shape, uint64_t seed);

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_INVALID_REQUESTS_H_
