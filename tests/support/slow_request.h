// A request that keeps one compute thread busy for a while (about two seconds of float64
// reference work per 256 query rows, several times that in sanitizer builds), for tests of
// admission, deadlines and drain. The work grows with the query rows, which cost the least
// to send.
#ifndef ATTNSERVE_TESTS_SUPPORT_SLOW_REQUEST_H_
#define ATTNSERVE_TESTS_SUPPORT_SLOW_REQUEST_H_

#include <cstdint>

#include "attnserve/v1/attention.pb.h"
#include "tests/support/invalid_requests.h"

namespace attnserve::testing {

inline v1::AttentionRequest SlowRequest(int64_t query_rows = 256) {
  v1::AttentionRequest slow;
  *slow.mutable_query() = RandomTensor({1, query_rows, 8, 64}, 1);
  *slow.mutable_key() = RandomTensor({1, 4096, 8, 64}, 2);
  *slow.mutable_value() = RandomTensor({1, 4096, 8, 64}, 3);
  slow.set_backend("reference");
  return slow;
}

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_SLOW_REQUEST_H_
