// Every validation rule end to end: a real server answers each malformed request with the
// exact status the decode layer defines, and keeps serving through all of them.
#include "gtest/gtest.h"
#include "tests/server/live_server.h"
#include "tests/support/invalid_requests.h"
#include "tests/support/server_backends.h"

namespace attnserve {
namespace {

using testing::InvalidCase;
using testing::WithLiveServer;

template <typename Request, typename Response>
void ExpectServerRejects(AttnClient& client, const Request& valid,
                         const InvalidCase<Request>& invalid,
                         absl::StatusOr<Response> (AttnClient::*call)(const Request&)) {
  Request request = valid;
  invalid.mutate(request);
  const absl::StatusOr<Response> response = (client.*call)(request);
  ASSERT_FALSE(response.ok()) << invalid.name << " was accepted";
  EXPECT_EQ(response.status().code(), invalid.code) << response.status();
  EXPECT_EQ(response.status().message(), invalid.message);
  // The server is still there and still computes.
  EXPECT_TRUE((client.*call)(valid).ok());
}

class AttentionRuleOverGrpc
    : public WithLiveServer<::testing::TestWithParam<InvalidCase<v1::AttentionRequest>>> {};
TEST_P(AttentionRuleOverGrpc, IsRejectedAndServerKeepsServing) {
  AttnClient client = Client();
  ExpectServerRejects(client, testing::ValidAttentionRequest(), GetParam(),
                      &AttnClient::ComputeAttention);
}
INSTANTIATE_TEST_SUITE_P(Server, AttentionRuleOverGrpc,
                         ::testing::ValuesIn(testing::InvalidAttentionCases()),
                         [](const auto& info) { return info.param.name; });

class RotaryRuleOverGrpc
    : public WithLiveServer<::testing::TestWithParam<InvalidCase<v1::RotaryRequest>>> {};
TEST_P(RotaryRuleOverGrpc, IsRejectedAndServerKeepsServing) {
  AttnClient client = Client();
  ExpectServerRejects(client, testing::ValidRotaryRequest(), GetParam(), &AttnClient::ApplyRotary);
}
INSTANTIATE_TEST_SUITE_P(Server, RotaryRuleOverGrpc,
                         ::testing::ValuesIn(testing::InvalidRotaryCases()),
                         [](const auto& info) { return info.param.name; });

class RotaryTableRuleOverGrpc
    : public WithLiveServer<::testing::TestWithParam<InvalidCase<v1::RotaryTableRequest>>> {};
TEST_P(RotaryTableRuleOverGrpc, IsRejectedAndServerKeepsServing) {
  AttnClient client = Client();
  ExpectServerRejects(client, testing::ValidRotaryTableRequest(), GetParam(),
                      &AttnClient::GetRotaryTable);
}
INSTANTIATE_TEST_SUITE_P(Server, RotaryTableRuleOverGrpc,
                         ::testing::ValuesIn(testing::InvalidRotaryTableCases()),
                         [](const auto& info) { return info.param.name; });

class AlibiRuleOverGrpc
    : public WithLiveServer<::testing::TestWithParam<InvalidCase<v1::AlibiRequest>>> {};
TEST_P(AlibiRuleOverGrpc, IsRejectedAndServerKeepsServing) {
  AttnClient client = Client();
  ExpectServerRejects(client, testing::ValidAlibiRequest(), GetParam(),
                      &AttnClient::GetAlibiSlopes);
}
INSTANTIATE_TEST_SUITE_P(Server, AlibiRuleOverGrpc,
                         ::testing::ValuesIn(testing::InvalidAlibiCases()),
                         [](const auto& info) { return info.param.name; });

class SinusoidalRuleOverGrpc
    : public WithLiveServer<::testing::TestWithParam<InvalidCase<v1::SinusoidalRequest>>> {};
TEST_P(SinusoidalRuleOverGrpc, IsRejectedAndServerKeepsServing) {
  AttnClient client = Client();
  ExpectServerRejects(client, testing::ValidSinusoidalRequest(), GetParam(),
                      &AttnClient::GetSinusoidalTable);
}
INSTANTIATE_TEST_SUITE_P(Server, SinusoidalRuleOverGrpc,
                         ::testing::ValuesIn(testing::InvalidSinusoidalCases()),
                         [](const auto& info) { return info.param.name; });

using ServerOnlyRules = WithLiveServer<>;

TEST_F(ServerOnlyRules, UnknownBackendListsTheKnownOnes) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.set_backend("gpu");
  const absl::StatusOr<v1::AttentionResponse> response = Client().ComputeAttention(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response.status().message(),
            "backend=\"gpu\" is not one of: " + testing::ServerBackendList());
}

}  // namespace
}  // namespace attnserve
