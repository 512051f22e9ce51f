#include "tests/support/wrong_attention_server.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cpp/tensors.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "kernels/reference/reference_attention.h"
#include "server/decode/attention_decoder.h"

namespace attnserve::testing {

class WrongAttentionServer::Service final : public v1::AttentionService::Service {
  grpc::Status ComputeAttention(grpc::ServerContext*, const v1::AttentionRequest* request,
                                v1::AttentionResponse* response) override {
    absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(*request, {});
    if (!decoded.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          std::string(decoded.status().message()));
    }
    const std::vector<double> right = ComputeReferenceAttention(decoded->problem, false).output;
    std::vector<float> wrong(right.begin(), right.end());
    for (float& value : wrong) value *= 1.0001f;
    const AttentionShape& shape = decoded->problem.shape;
    *response->mutable_output() = MakeTensor(
        DataType::kFloat32, {shape.batch, shape.q_len, shape.heads, shape.v_head_dim}, wrong);
    response->set_backend("wrong");
    return grpc::Status::OK;
  }
};

WrongAttentionServer::WrongAttentionServer() : service_(std::make_unique<Service>()) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
}

WrongAttentionServer::~WrongAttentionServer() {
  if (server_) server_->Shutdown();
}

std::string WrongAttentionServer::target() const { return absl::StrCat("127.0.0.1:", port_); }

}  // namespace attnserve::testing
