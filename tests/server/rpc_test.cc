// Each RPC of AttentionService, the health service and the server's flags, against a real
// server process on 127.0.0.1.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "client/cpp/tensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/live_server.h"
#include "tests/support/invalid_requests.h"
#include "tests/support/server_backends.h"
#include "tests/support/slow_request.h"

namespace attnserve {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Pointwise;
using ServingStatus = grpc::health::v1::HealthCheckResponse;

// Relative closeness for doubles compared with encodings.md's worked values.
MATCHER_P(RelativelyNear, tolerance, "") {
  const auto& [actual, expected] = arg;
  return std::abs(actual - expected) <= tolerance * std::abs(expected);
}

using Rpc = testing::WithLiveServer<>;

TEST_F(Rpc, ServerInfoListsBackendsDtypesAndLimits) {
  absl::StatusOr<v1::ServerInfo> info = Client().GetServerInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version(), "0.1.0");
  std::vector<std::string> names;
  for (const auto& backend : info->backends()) names.push_back(backend.name());
  EXPECT_EQ(names, testing::ServerBackendNames());
  EXPECT_TRUE(info->backends(0).is_default());  // no GPU here: cpu, even with --backend=auto
  for (int i = 1; i < info->backends_size(); ++i) EXPECT_FALSE(info->backends(i).is_default());
  EXPECT_THAT(info->backends(0).dtypes(),
              ElementsAre(v1::DATA_TYPE_FLOAT32, v1::DATA_TYPE_FLOAT16, v1::DATA_TYPE_BFLOAT16));
  EXPECT_EQ(info->limits().max_message_bytes(), 256 << 20);
  EXPECT_EQ(info->limits().max_probability_elements(), 64 << 20);
  EXPECT_EQ(info->limits().max_tensor_elements(), 1 << 27);
  EXPECT_EQ(info->limits().max_attention_work(), int64_t{1} << 32);
  EXPECT_EQ(info->limits().max_inflight_requests(), 256);
  EXPECT_EQ(info->limits().max_queued_requests(), 128);
  EXPECT_GE(info->limits().compute_threads(), 1);
}

TEST_F(Rpc, HealthServesForTheServerAndTheService) {
  AttnClient client = Client();
  EXPECT_EQ(client.CheckHealth("").value_or(ServingStatus::UNKNOWN), ServingStatus::SERVING);
  EXPECT_EQ(client.CheckHealth("attnserve.v1.AttentionService").value_or(ServingStatus::UNKNOWN),
            ServingStatus::SERVING);
  EXPECT_EQ(client.CheckHealth("no.such.Service").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(Rpc, ComputeAttentionReturnsRequestedTensorsWithTheirShapes) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.set_return_lse(true);
  request.set_return_probabilities(true);
  request.set_request_id("req-42");
  absl::StatusOr<v1::AttentionResponse> response = Client().ComputeAttention(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->backend(), "cpu");
  EXPECT_EQ(response->request_id(), "req-42");
  EXPECT_EQ(response->output().dtype(), v1::DATA_TYPE_FLOAT32);
  EXPECT_THAT(response->output().shape(), ElementsAre(2, 3, 4, 6));
  EXPECT_THAT(response->lse().shape(), ElementsAre(2, 4, 3));
  EXPECT_THAT(response->probabilities().shape(), ElementsAre(2, 4, 3, 5));
  // Each probability row is a distribution over the five keys.
  absl::StatusOr<std::vector<float>> probabilities = TensorValues(response->probabilities());
  ASSERT_TRUE(probabilities.ok());
  for (size_t row = 0; row < probabilities->size() / 5; ++row) {
    double sum = 0;
    for (size_t j = 0; j < 5; ++j) sum += (*probabilities)[row * 5 + j];
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST_F(Rpc, ComputeAttentionOmitsTensorsNotAskedFor) {
  absl::StatusOr<v1::AttentionResponse> response =
      Client().ComputeAttention(testing::ValidAttentionRequest());
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->has_lse());
  EXPECT_FALSE(response->has_probabilities());
}

TEST_F(Rpc, OutputFollowsQueryDtypeUnlessOverridden) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  for (v1::Tensor* tensor :
       {request.mutable_query(), request.mutable_key(), request.mutable_value()}) {
    const std::vector<int64_t> shape(tensor->shape().begin(), tensor->shape().end());
    *tensor = MakeTensor(DataType::kBFloat16, shape, *TensorValues(*tensor));
  }
  AttnClient client = Client();
  absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->output().dtype(), v1::DATA_TYPE_BFLOAT16);
  EXPECT_EQ(response->output().data().size(), 2u * 3 * 4 * 6 * 2);
  request.set_output_dtype(v1::DATA_TYPE_FLOAT32);
  response = client.ComputeAttention(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->output().dtype(), v1::DATA_TYPE_FLOAT32);
}

TEST_F(Rpc, RequestCanPickTheReferenceBackend) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.set_backend("reference");
  absl::StatusOr<v1::AttentionResponse> response = Client().ComputeAttention(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->backend(), "reference");
}

TEST_F(Rpc, HugeWindowWithMoreQueriesThanKeysIsComputedNotACrash) {
  // Regression (found by review): this 93-byte request overflowed the window arithmetic and
  // crashed the server. Every query sees the one key, so each output row is value[0].
  v1::AttentionRequest request;
  *request.mutable_query() = testing::RandomTensor({1, 3, 1, 2}, 1);
  *request.mutable_key() = testing::RandomTensor({1, 1, 1, 2}, 2);
  *request.mutable_value() = testing::RandomTensor({1, 1, 1, 2}, 3);
  request.set_window(std::numeric_limits<int64_t>::max());
  AttnClient client = Client();
  absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(request);
  ASSERT_TRUE(response.ok()) << response.status();
  const std::vector<float> value = *TensorValues(request.value());
  EXPECT_THAT(*TensorValues(response->output()),
              ElementsAre(value[0], value[1], value[0], value[1], value[0], value[1]));
  EXPECT_TRUE(client.GetServerInfo().ok());
}

TEST_F(Rpc, ApplyRotaryMatchesWorkedValuesAtPosition70000) {
  // encodings.md section 6, default_t1e4: rope_input.q and .k rotated to position 70000.
  const std::vector<float> q = {0.5, -1.25, 2, 0.75, -1.5, 1, -0.25, 1.75};
  const std::vector<float> k = {1, 0.5, -0.75, -2, 0.25, 1.5, -1, 0.125};
  v1::RotaryRequest request;
  *request.mutable_query() = MakeTensor(DataType::kFloat32, {1, 1, 1, 8}, q);
  *request.mutable_key() = MakeTensor(DataType::kFloat32, {1, 1, 1, 8}, k);
  request.add_positions(70000);
  absl::StatusOr<v1::RotaryResponse> response = Client().ApplyRotary(request);
  ASSERT_TRUE(response.ok()) << response.status();
  const std::vector<double> q_expected = {
      -0.95153404674807718, -1.5844022228180537, -1.542216020920641, -0.87931929041158141,
      -1.2627679746807123,  0.2284066468586452,  1.2977171281969369, 1.6887266165694415};
  const std::vector<double> k_expected = {
      0.7732224812050591,  -0.32932142777620083, 1.1732987677739324,  -1.3633747413673356,
      -0.6816355291202858, 1.5464628664172457,   0.43112643335821077, -1.4686164627299909};
  // float32 results of double math: one rounding, under 1e-7 relative.
  EXPECT_THAT(*TensorValues(response->query()), Pointwise(RelativelyNear(1e-6), q_expected));
  EXPECT_THAT(*TensorValues(response->key()), Pointwise(RelativelyNear(1e-6), k_expected));
}

TEST_F(Rpc, ApplyRotaryReturnsOnlyWhatWasSentInItsOwnDtype) {
  v1::RotaryRequest request = testing::ValidRotaryRequest();
  request.clear_query();
  const std::vector<int64_t> shape(request.key().shape().begin(), request.key().shape().end());
  *request.mutable_key() = MakeTensor(DataType::kFloat16, shape, *TensorValues(request.key()));
  absl::StatusOr<v1::RotaryResponse> response = Client().ApplyRotary(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->has_query());
  EXPECT_EQ(response->key().dtype(), v1::DATA_TYPE_FLOAT16);
  EXPECT_THAT(response->key().shape(), ElementsAreArray(shape));
}

TEST_F(Rpc, RotaryTableGivesScaledFrequenciesFactorAndRows) {
  // encodings.md worked values yarn_llama (head_dim 8, factor 4, original 4096).
  v1::RotaryTableRequest request;
  request.set_head_dim(8);
  request.mutable_rotary()->mutable_yarn()->set_factor(4);
  request.mutable_rotary()->mutable_yarn()->set_original_max_position(4096);
  for (int64_t p : {5, 70000}) request.add_positions(p);
  absl::StatusOr<v1::RotaryTable> table = Client().GetRotaryTable(request);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->inv_freq(),
              Pointwise(RelativelyNear(1e-12), std::vector<double>{1, 0.1, 0.00625, 0.00025}));
  EXPECT_NEAR(table->attention_factor(), 1.1386294361119891, 1e-12);
  EXPECT_THAT(table->cos().shape(), ElementsAre(2, 4));
  const std::vector<float> cos_rows = *TensorValues(table->cos());
  const std::vector<float> sin_rows = *TensorValues(table->sin());
  for (int row = 0; row < 2; ++row) {
    const double position = row == 0 ? 5 : 70000;
    for (int i = 0; i < 4; ++i) {
      const double angle = position * table->inv_freq(i);
      EXPECT_NEAR(cos_rows[row * 4 + i], table->attention_factor() * std::cos(angle), 2e-7);
      EXPECT_NEAR(sin_rows[row * 4 + i], table->attention_factor() * std::sin(angle), 2e-7);
    }
  }
}

TEST_F(Rpc, AlibiSlopesAndBiasFollowThePaperAndInterpolate) {
  v1::AlibiRequest request;
  request.set_num_heads(12);
  request.set_query_length(2);
  request.set_key_length(4);
  absl::StatusOr<v1::AlibiResponse> response = Client().GetAlibiSlopes(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->slopes(),
              Pointwise(RelativelyNear(1e-7),
                        std::vector<double>{0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125,
                                            0.00390625, 0.70710678118654757, 0.35355339059327379,
                                            0.17677669529663689, 0.088388347648318447}));
  EXPECT_THAT(response->bias().shape(), ElementsAre(12, 2, 4));
  // Head 8 (slope 2^-0.5), query 0 sits at key position 2: bias -slope * |2 - j|.
  const std::vector<float> bias = *TensorValues(response->bias());
  const double slope = 0.70710678118654757;
  EXPECT_THAT(std::vector<float>(bias.begin() + 64, bias.begin() + 68),
              Pointwise(::testing::FloatNear(1e-7),
                        std::vector<float>{float(-2 * slope), float(-slope), 0, float(-slope)}));

  // Interpolation: 8 heads, training length 2048, key length 5000 (encodings.md).
  v1::AlibiRequest interpolated;
  interpolated.set_num_heads(8);
  interpolated.set_training_length(2048);
  interpolated.set_key_length(5000);
  response = Client().GetAlibiSlopes(interpolated);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->has_bias());
  EXPECT_THAT(response->slopes(),
              Pointwise(RelativelyNear(1e-7), std::vector<double>{0.2048, 0.1024, 0.0512, 0.0256,
                                                                  0.0128, 0.0064, 0.0032, 0.0016}));
}

TEST_F(Rpc, SinusoidalTableMatchesWorkedValues) {
  v1::SinusoidalRequest request;
  request.set_dim(8);
  for (int64_t p : {5, 70000}) request.add_positions(p);
  absl::StatusOr<v1::SinusoidalResponse> response = Client().GetSinusoidalTable(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->table().shape(), ElementsAre(2, 8));
  const std::vector<double> expected = {
      -0.95892427466313845, 0.28366218546322625,  0.47942553860420301,   0.87758256189037276,
      0.049979169270678331, 0.99875026039496628,  0.0049999791666927081, 0.99998750002604164,
      -0.82347402298498873, 0.56735397545881205,  0.50688542994916974,   0.86201343429510735,
      0.54397052336337559,  -0.83910432588074246, 0.77389068155788909,   0.63331920308629985};
  EXPECT_THAT(*TensorValues(response->table()), Pointwise(RelativelyNear(1e-6), expected));
}

TEST(ServerFlags, LimitsFromFlagsAreEnforcedAndReported) {
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server = testing::ServerProcess::Start(
      {"--max_probability_elements=100", "--max_message_bytes=65536", "--threads=3"});
  ASSERT_TRUE(server.ok()) << server.status();
  {  // Clients go away before the stop: open channels slow gRPC's drain down.
    AttnClient client({(*server)->target()});
    absl::StatusOr<v1::ServerInfo> info = client.GetServerInfo();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->limits().max_probability_elements(), 100);
    EXPECT_EQ(info->limits().max_message_bytes(), 65536);
    EXPECT_EQ(info->limits().compute_threads(), 3);

    v1::AttentionRequest request = testing::ValidAttentionRequest();
    request.set_return_probabilities(true);  // needs 120 elements
    absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(request);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(response.status().message(),
              "return_probabilities needs batch*heads*q_len*kv_len=24*5 elements, over "
              "max_probability_elements=100");

    // A request over --max_message_bytes is refused by gRPC itself, also RESOURCE_EXHAUSTED.
    v1::AttentionRequest large = testing::ValidAttentionRequest();
    *large.mutable_query() = testing::RandomTensor({2, 300, 4, 8}, 7);
    response = client.ComputeAttention(large);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(client.GetServerInfo().ok());
  }
  absl::StatusOr<int> exit_code = (*server)->Stop();
  ASSERT_TRUE(exit_code.ok());
  EXPECT_EQ(*exit_code, 0);
}

TEST(Concurrency, ASlowRequestDoesNotHoldUpOthers) {
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
      testing::ServerProcess::Start({"--threads=2"});
  ASSERT_TRUE(server.ok()) << server.status();
  // About two seconds of float64 reference work, on one of the two compute threads.
  v1::AttentionRequest slow;
  *slow.mutable_query() = testing::RandomTensor({1, 256, 8, 64}, 1);
  *slow.mutable_key() = testing::RandomTensor({1, 4096, 8, 64}, 2);
  *slow.mutable_value() = testing::RandomTensor({1, 4096, 8, 64}, 3);
  slow.set_backend("reference");
  std::atomic<bool> slow_done = false;
  std::thread slow_call([&] {
    EXPECT_TRUE(AttnClient({(*server)->target()}).ComputeAttention(slow).ok());
    slow_done = true;
  });
  {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the slow call start
    AttnClient client({(*server)->target()});
    EXPECT_TRUE(client.ComputeAttention(testing::ValidAttentionRequest()).ok());
    EXPECT_TRUE(client.GetRotaryTable(testing::ValidRotaryTableRequest()).ok());
    EXPECT_FALSE(slow_done) << "the slow request finished first; make it slower";
  }
  slow_call.join();
  EXPECT_EQ((*server)->Stop().value_or(-1), 0);
}

using testing::SlowRequest;

// Sends `count` slow requests at once and returns their statuses.
std::vector<absl::Status> SendSlowRequests(const std::string& target, int count) {
  std::vector<absl::Status> statuses(count);
  std::vector<std::thread> callers;
  for (int i = 0; i < count; ++i) {
    callers.emplace_back(
        [&, i] { statuses[i] = AttnClient({target}).ComputeAttention(SlowRequest()).status(); });
  }
  for (std::thread& caller : callers) caller.join();
  return statuses;
}

// Past max_inflight_requests: server_observability_test (it waits on the in-flight gauge).

TEST(Admission, PastMaxQueuedNewCallsAreRefusedAndAcceptedOnesFinish) {
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server = testing::ServerProcess::Start(
      {"--threads=1", "--max_inflight_requests=10", "--max_queued_requests=1"});
  ASSERT_TRUE(server.ok()) << server.status();
  // One thread computes, one call may wait: of three at once, at least one is refused.
  int refused = 0;
  for (const absl::Status& status : SendSlowRequests((*server)->target(), 3)) {
    if (status.ok()) continue;
    ++refused;
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(status.message(),
              "server busy: 1 calls wait for a compute thread, at max_queued_requests=1");
  }
  EXPECT_GE(refused, 1);
  EXPECT_LE(refused, 2);
  EXPECT_EQ((*server)->Stop().value_or(-1), 0);
}

TEST(Admission, AClientThatLeavesMidComputeFreesItsThread) {
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
      testing::ServerProcess::Start({"--threads=1"});
  ASSERT_TRUE(server.ok()) << server.status();
  {
    // About 8 s of work (far more under the sanitizers), of which the client waits 300 ms.
    AttnClient impatient({(*server)->target(), absl::Milliseconds(300)});
    EXPECT_EQ(impatient.ComputeAttention(SlowRequest(1024)).status().code(),
              absl::StatusCode::kDeadlineExceeded);
    // The reference backend stops within a query row of the cancellation, so the one compute
    // thread is free again long before the slow request would have ended; 2 s leaves room for
    // a loaded machine and an instrumented build.
    AttnClient next({(*server)->target(), absl::Seconds(2)});
    EXPECT_TRUE(next.ComputeAttention(testing::ValidAttentionRequest()).ok());
  }
  EXPECT_EQ((*server)->Stop().value_or(-1), 0);
}

TEST(Drain, SigtermRefusesNewCallsAndLetsInFlightOnesFinish) {
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
      testing::ServerProcess::Start({"--threads=1", "--shutdown_grace_seconds=30"});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target = (*server)->target();
  absl::Status in_flight;
  std::thread slow_call(
      [&] { in_flight = AttnClient({target}).ComputeAttention(SlowRequest()).status(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // computing by now
  kill((*server)->pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // draining by now
  const absl::Status refused = AttnClient({target, absl::Seconds(5)})
                                   .ComputeAttention(testing::ValidAttentionRequest())
                                   .status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  slow_call.join();
  EXPECT_TRUE(in_flight.ok()) << in_flight;
  EXPECT_EQ((*server)->Stop().value_or(-1), 0);
}

TEST(ServerFlags, ReferenceCanBeTheDefaultBackend) {
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
      testing::ServerProcess::Start({"--backend=reference"});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<v1::AttentionResponse> response =
      AttnClient({(*server)->target()}).ComputeAttention(testing::ValidAttentionRequest());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->backend(), "reference");
}

TEST(ServerFlags, InvalidFlagValuesStopStartupWithAMessage) {
  for (const char* flag : {"--threads=-1", "--backend=tpu", "--max_message_bytes=10"}) {
    absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
        testing::ServerProcess::Start({flag});
    EXPECT_FALSE(server.ok()) << flag << " was accepted";
  }
}

}  // namespace
}  // namespace attnserve
