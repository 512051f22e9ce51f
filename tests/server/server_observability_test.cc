// An in-process server with a registry the test owns: the interceptor records every call,
// failed and cancelled ones included, and health follows the server's ability to compute.
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "absl/synchronization/notification.h"
#include "client/cpp/attnserve_client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/server/registry_reader.h"
#include "tests/support/invalid_requests.h"
#include "tests/support/slow_request.h"

namespace attnserve {
namespace {

using testing::MetricValue;
using Labels = std::map<std::string, std::string>;
using grpc::health::v1::HealthCheckResponse;

Labels Call(const std::string& service, const std::string& method) {
  return {{"grpc_service", service}, {"grpc_method", method}, {"grpc_type", "unary"}};
}

Labels Handled(const std::string& service, const std::string& method, const std::string& code) {
  Labels labels = Call(service, method);
  labels["grpc_code"] = code;
  return labels;
}

class InProcessServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.metrics_port = 0;
    config.compute_threads = 2;
    absl::StatusOr<std::unique_ptr<Server>> started = Server::Start(config, registry_);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    target_ = "127.0.0.1:" + std::to_string(server_->port());
  }

  // Waits (bounded) until `name`{labels} reaches `expected`; returns the last value seen.
  double AwaitValue(const std::string& name, const Labels& labels, double expected) {
    double value = NAN;
    for (int attempt = 0; attempt < 200; ++attempt) {
      value = MetricValue(*registry_, name, labels);
      if (value == expected) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return value;
  }

  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<Server> server_;
  std::string target_;
};

constexpr char kService[] = "attnserve.v1.AttentionService";

TEST_F(InProcessServer, EveryCallIsCountedByMethodAndCode) {
  {
    AttnClient client({target_});
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(client.ComputeAttention(testing::ValidAttentionRequest()).ok());
    v1::AttentionRequest invalid = testing::ValidAttentionRequest();
    invalid.set_window(-1);
    for (int i = 0; i < 2; ++i) ASSERT_FALSE(client.ComputeAttention(invalid).ok());
    ASSERT_TRUE(client.GetRotaryTable(testing::ValidRotaryTableRequest()).ok());
    ASSERT_TRUE(client.CheckHealth("").ok());
  }
  EXPECT_EQ(
      MetricValue(*registry_, "grpc_server_started_total", Call(kService, "ComputeAttention")), 5);
  EXPECT_EQ(AwaitValue("grpc_server_handled_total", Handled(kService, "ComputeAttention", "OK"), 3),
            3);
  EXPECT_EQ(AwaitValue("grpc_server_handled_total",
                       Handled(kService, "ComputeAttention", "InvalidArgument"), 2),
            2);
  EXPECT_EQ(AwaitValue("grpc_server_handled_total", Handled(kService, "GetRotaryTable", "OK"), 1),
            1);
  EXPECT_EQ(
      AwaitValue("grpc_server_handled_total", Handled("grpc.health.v1.Health", "Check", "OK"), 1),
      1);
  EXPECT_EQ(
      MetricValue(*registry_, "grpc_server_msg_received_total", Call(kService, "ComputeAttention")),
      5);
  EXPECT_EQ(
      MetricValue(*registry_, "grpc_server_msg_sent_total", Call(kService, "ComputeAttention")), 3);
  EXPECT_EQ(MetricValue(*registry_, "attnserve_attention_requests_total",
                        {{"backend", "cpu"}, {"encoding", "none"}, {"dtype", "float32"}}),
            3);
  EXPECT_EQ(AwaitValue("attnserve_inflight_requests", {}, 0), 0);
}

TEST_F(InProcessServer, ACallWhoseDeadlinePassedIsCountedAsDeadlineExceeded) {
  v1::AttentionRequest slow;  // about a second of float64 reference work
  *slow.mutable_query() = testing::RandomTensor({1, 256, 8, 64}, 1);
  *slow.mutable_key() = testing::RandomTensor({1, 2048, 8, 64}, 2);
  *slow.mutable_value() = testing::RandomTensor({1, 2048, 8, 64}, 3);
  slow.set_backend("reference");
  {
    AttnClient impatient({target_, absl::Milliseconds(100)});
    EXPECT_EQ(impatient.ComputeAttention(slow).status().code(),
              absl::StatusCode::kDeadlineExceeded);
  }
  // Go's convention: a deadline that passed is DeadlineExceeded (an error for the alerts), a
  // client that cancelled is Canceled.
  EXPECT_EQ(AwaitValue("grpc_server_handled_total",
                       Handled(kService, "ComputeAttention", "DeadlineExceeded"), 1),
            1);
  for (const char* code : {"OK", "Canceled"}) {
    EXPECT_EQ(MetricValue(*registry_, "grpc_server_handled_total",
                          Handled(kService, "ComputeAttention", code)),
              0)
        << code;
  }
}

TEST_F(InProcessServer, MethodsTheServerDoesNotServeShareOneUnknownLabel) {
  // A client choosing paths must not be able to grow the label sets without bound.
  auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  for (const char* path : {"/x1.S/M1", "/x2.S/M2", "/attnserve.v1.AttentionService/NoSuchMethod"}) {
    grpc::ClientContext context;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;  // an empty message
    absl::Notification done;
    grpc::Status status;
    stub.UnaryCall(&context, path, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << path;
  }
  double unknown_started = 0;
  for (const char* type : {"unary", "client_stream", "server_stream", "bidi_stream"}) {
    const double value =
        MetricValue(*registry_, "grpc_server_started_total",
                    {{"grpc_service", "unknown"}, {"grpc_method", "unknown"}, {"grpc_type", type}});
    if (!std::isnan(value)) unknown_started += value;
  }
  EXPECT_EQ(unknown_started, 3);
  for (const prometheus::MetricFamily& family : registry_->Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      for (const auto& label : metric.label) {
        EXPECT_NE(label.value, "M1");
        EXPECT_NE(label.value, "NoSuchMethod");
      }
    }
  }
}

TEST_F(InProcessServer, HealthIsServingOnlyAfterTheSelfCheckAndWatchersSeeShutdownStart) {
  EXPECT_TRUE(server_->self_check().ok()) << server_->self_check();
  auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(kService);
  auto watch = health->Watch(&context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  std::thread shutdown([this] { server_->Shutdown(absl::Seconds(10)); });
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  context.TryCancel();  // the watcher leaves, as a load balancer would
  shutdown.join();
}

// The in-flight gauge is the clock: the call past the limit is sent only once both slow calls
// are in, however slow the machine (a fixed sleep flaked on a loaded one).
TEST(Admission, PastMaxInflightNewCallsAreRefusedAndAcceptedOnesFinish) {
  auto registry = std::make_shared<prometheus::Registry>();
  ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.metrics_port = 0;
  config.compute_threads = 1;
  config.admission = {.max_inflight_requests = 2, .max_queued_requests = 2};
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(config, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target = "127.0.0.1:" + std::to_string((*server)->port());
  std::vector<absl::Status> accepted(2);
  std::vector<std::thread> slow_calls;
  for (absl::Status& status : accepted) {
    slow_calls.emplace_back(
        [&] { status = AttnClient({target}).ComputeAttention(testing::SlowRequest()).status(); });
  }
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (MetricValue(*registry, "attnserve_inflight_requests", {}) == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  {
    AttnClient client({target});
    const absl::Status refused = client.ComputeAttention(testing::ValidAttentionRequest()).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(refused.message(), "server busy: 2 calls in flight, at max_inflight_requests=2");
    absl::StatusOr<v1::ServerInfo> info = client.GetServerInfo();  // answered inline
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->limits().max_inflight_requests(), 2);
    EXPECT_EQ(info->limits().max_queued_requests(), 2);
  }
  for (std::thread& call : slow_calls) call.join();
  for (const absl::Status& status : accepted) EXPECT_TRUE(status.ok()) << status;
}

}  // namespace
}  // namespace attnserve
