// A test-only gRPC server on 127.0.0.1 whose ComputeAttention answers are subtly wrong: the
// float64 reference scaled by (1 + 1e-4), ten times the float32 tolerance, so only a real
// comparison notices. For proving that clients' verification works; no production code path
// can produce such answers. Runs for the lifetime of the object.
#ifndef ATTNSERVE_TESTS_SUPPORT_WRONG_ATTENTION_SERVER_H_
#define ATTNSERVE_TESTS_SUPPORT_WRONG_ATTENTION_SERVER_H_

#include <memory>
#include <string>

#include "attnserve/v1/attention.grpc.pb.h"
#include "grpcpp/server.h"

namespace attnserve::testing {

class WrongAttentionServer {
 public:
  WrongAttentionServer();
  ~WrongAttentionServer();

  std::string target() const;

 private:
  class Service;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SUPPORT_WRONG_ATTENTION_SERVER_H_
