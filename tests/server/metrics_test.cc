// What the service adds to prometheus-cpp, against registries the tests own: the gRPC metrics
// and their labels, attnserve's own metrics, the /proc process collector, and the start-up
// self-check that gates health.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "kernels/cpu/cpu_backend.h"
#include "server/engine/self_check.h"
#include "server/metrics/grpc_server_metrics.h"
#include "server/metrics/process_collector.h"
#include "server/metrics/service_metrics.h"
#include "tests/server/registry_reader.h"

namespace attnserve {
namespace {

using testing::MetricValue;

TEST(GrpcCodeName, UsesGoNamesSoExistingDashboardsMatch) {
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::CANCELLED), "Canceled");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::INVALID_ARGUMENT), "InvalidArgument");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::DEADLINE_EXCEEDED), "DeadlineExceeded");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::RESOURCE_EXHAUSTED), "ResourceExhausted");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "Unauthenticated");
}

TEST(RpcLabelsFromPath, SplitsServiceAndMethod) {
  const RpcLabels rpc = RpcLabelsFromPath("/attnserve.v1.AttentionService/ApplyRotary", "unary");
  EXPECT_EQ(rpc.service, "attnserve.v1.AttentionService");
  EXPECT_EQ(rpc.method, "ApplyRotary");
  EXPECT_EQ(rpc.type, "unary");
  EXPECT_EQ(RpcLabelsFromPath("odd", "unary").method, "odd");
}

TEST(GrpcServerMetrics, CountsCallsByMethodAndCode) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  const RpcLabels rpc{"svc.S", "M", "unary"};
  for (int i = 0; i < 3; ++i) metrics.Started(rpc);
  metrics.MessageReceived(rpc);
  metrics.MessageSent(rpc);
  metrics.Handled(rpc, grpc::StatusCode::OK, 0.02);
  metrics.Handled(rpc, grpc::StatusCode::OK, 0.03);
  metrics.Handled(rpc, grpc::StatusCode::INVALID_ARGUMENT, 0.001);
  const std::map<std::string, std::string> call = {
      {"grpc_service", "svc.S"}, {"grpc_method", "M"}, {"grpc_type", "unary"}};
  auto with_code = [&](const char* code) {
    auto labels = call;
    labels["grpc_code"] = code;
    return labels;
  };
  EXPECT_EQ(MetricValue(registry, "grpc_server_started_total", call), 3);
  EXPECT_EQ(MetricValue(registry, "grpc_server_handled_total", with_code("OK")), 2);
  EXPECT_EQ(MetricValue(registry, "grpc_server_handled_total", with_code("InvalidArgument")), 1);
  EXPECT_EQ(MetricValue(registry, "grpc_server_msg_received_total", call), 1);
  EXPECT_EQ(MetricValue(registry, "grpc_server_msg_sent_total", call), 1);
  EXPECT_EQ(MetricValue(registry, "grpc_server_handling_seconds_count", call), 3);
  EXPECT_NEAR(MetricValue(registry, "grpc_server_handling_seconds_sum", call), 0.051, 1e-12);
}

TEST(GrpcServerMetrics, InitializeCreatesEverySeriesAtZero) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  metrics.Initialize("svc.S", {"A", "B"});
  const std::map<std::string, std::string> b = {
      {"grpc_service", "svc.S"}, {"grpc_method", "B"}, {"grpc_type", "unary"}};
  EXPECT_EQ(MetricValue(registry, "grpc_server_started_total", b), 0);
  auto unavailable = b;
  unavailable["grpc_code"] = "Unavailable";
  EXPECT_EQ(MetricValue(registry, "grpc_server_handled_total", unavailable), 0);
  EXPECT_EQ(MetricValue(registry, "grpc_server_handling_seconds_count", b), 0);
}

TEST(ServiceMetrics, AttentionRecordsExactFlopsTokensAndLabels) {
  prometheus::Registry registry;
  ServiceMetrics metrics(registry, "9.9", "cpu,reference", 4);
  AttentionProblem problem;
  problem.shape = {2, 4, 4, 8, 2, 64, 32};
  problem.causal = true;  // 10 visible pairs per (batch, head)
  problem.query.dtype = DataType::kBFloat16;
  problem.alibi = AlibiSpec{};
  metrics.RecordAttention("cpu", problem, 0.5);
  EXPECT_EQ(MetricValue(registry, "attnserve_attention_requests_total",
                        {{"backend", "cpu"}, {"encoding", "alibi"}, {"dtype", "bfloat16"}}),
            1);
  EXPECT_EQ(MetricValue(registry, "attnserve_attention_flops_total", {{"backend", "cpu"}}),
            2.0 * (64 + 32) * 10 * 2 * 8);
  EXPECT_EQ(MetricValue(registry, "attnserve_attention_tokens_total", {{"backend", "cpu"}}), 8);
  EXPECT_EQ(MetricValue(registry, "attnserve_compute_seconds_sum", {{"backend", "cpu"}}), 0.5);
  EXPECT_EQ(MetricValue(registry, "attnserve_build_info",
                        {{"version", "9.9"}, {"backends", "cpu,reference"}}),
            1);
}

TEST(ServiceMetrics, GaugesFollowACallThroughQueueAndCompute) {
  prometheus::Registry registry;
  ServiceMetrics metrics(registry, "v", "cpu", 3);
  EXPECT_EQ(MetricValue(registry, "attnserve_compute_threads", {}), 3);
  // Two calls admitted, both waiting; as the transport reports its counts.
  metrics.SetCallLoad(2, 2);
  EXPECT_EQ(MetricValue(registry, "attnserve_inflight_requests", {}), 2);
  EXPECT_EQ(MetricValue(registry, "attnserve_queued_requests", {}), 2);
  metrics.SetCallLoad(2, 1);  // one reached a compute thread
  metrics.CallStarted("ApplyRotary", 0.25);
  EXPECT_EQ(MetricValue(registry, "attnserve_queued_requests", {}), 1);
  EXPECT_EQ(MetricValue(registry, "attnserve_queue_seconds_sum", {{"method", "ApplyRotary"}}),
            0.25);
  metrics.CallFinished("ApplyRotary", 2000, 3000);
  metrics.SetCallLoad(1, 1);
  EXPECT_EQ(MetricValue(registry, "attnserve_inflight_requests", {}), 1);
  EXPECT_EQ(MetricValue(registry, "attnserve_response_bytes_sum", {{"method", "ApplyRotary"}}),
            3000);
}

TEST(EncodingKind, NamesEveryCombination) {
  AttentionProblem problem;
  EXPECT_STREQ(EncodingKind(problem), "none");
  problem.rotary = RotarySpec{};
  EXPECT_STREQ(EncodingKind(problem), "rotary");
  problem.alibi = AlibiSpec{};
  EXPECT_STREQ(EncodingKind(problem), "hybrid");
  problem.rotary.reset();
  EXPECT_STREQ(EncodingKind(problem), "alibi");
}

// A fake /proc: pid directory "42" with stat, limits and three fds, and a /proc/stat.
class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("attnserve_proc_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(root_ / "42" / "fd");
    // The command name holds a space and a parenthesis, as real ones may.
    Write("42/stat",
          "42 (attn serve) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 5000 "
          "123456789 2048 18446744073709551615\n");
    Write("42/limits",
          "Limit                     Soft Limit           Hard Limit           Units\n"
          "Max open files            4096                 8192                 files\n");
    Write("stat", "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n");
    for (const char* fd : {"0", "1", "2"}) Write(std::string("42/fd/") + fd, "");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& path, const std::string& contents) {
    std::ofstream(root_ / path) << contents;
  }

  std::filesystem::path root_;
};

double FamilyValue(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const prometheus::MetricFamily& family : families) {
    if (family.name != name) continue;
    const prometheus::ClientMetric& metric = family.metric.at(0);
    return family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                          : metric.gauge.value;
  }
  return NAN;
}

TEST_F(FakeProc, ProcessMetricsComeFromProcFiles) {
  const std::vector<prometheus::MetricFamily> families =
      ProcessCollector(root_.string(), "42").Collect();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_cpu_seconds_total"), (250 + 150) / ticks);
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_resident_memory_bytes"),
                   2048.0 * sysconf(_SC_PAGESIZE));
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_virtual_memory_bytes"), 123456789);
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_threads"), 7);
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_start_time_seconds"), 1700000000 + 5000 / ticks);
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_open_fds"), 3);
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_max_fds"), 4096);
}

TEST_F(FakeProc, UnreadableFilesLeaveTheirMetricsOut) {
  std::filesystem::remove(root_ / "42" / "limits");
  std::filesystem::remove(root_ / "stat");
  const std::vector<prometheus::MetricFamily> families =
      ProcessCollector(root_.string(), "42").Collect();
  EXPECT_TRUE(std::isnan(FamilyValue(families, "process_max_fds")));
  EXPECT_TRUE(std::isnan(FamilyValue(families, "process_start_time_seconds")));
  EXPECT_DOUBLE_EQ(FamilyValue(families, "process_threads"), 7);
}

TEST(ProcessCollector, ReadsThisProcess) {
  const std::vector<prometheus::MetricFamily> families = ProcessCollector().Collect();
  EXPECT_GT(FamilyValue(families, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(FamilyValue(families, "process_open_fds"), 3);
  EXPECT_GE(FamilyValue(families, "process_threads"), 1);
  EXPECT_GT(FamilyValue(families, "process_start_time_seconds"), 1.6e9);
}

// A backend that returns zeros: "runs", but cannot compute.
class ZerosBackend final : public Backend {
 public:
  BackendDescription Describe() const override {
    return {"zeros", {"none"}, {DataType::kFloat32}, "broken on purpose"};
  }
  absl::Status Run(const AttentionProblem&, const AttentionOutputs& outputs,
                   const StopCheck&) const override {
    std::fill_n(outputs.output.data, outputs.output.num_elements() * SizeOf(outputs.output.dtype),
                std::byte{0});
    return absl::OkStatus();
  }
};

TEST(SelfCheck, PassesForTheRealBackendsAndCatchesAWrongOne) {
  std::vector<std::unique_ptr<Backend>> good;
  good.push_back(std::make_unique<CpuBackend>());
  absl::StatusOr<BackendRegistry> registry = BackendRegistry::Create(std::move(good), "cpu");
  ASSERT_TRUE(registry.ok());
  EXPECT_TRUE(CheckBackendsCompute(*registry).ok());

  std::vector<std::unique_ptr<Backend>> broken;
  broken.push_back(std::make_unique<ZerosBackend>());
  registry = BackendRegistry::Create(std::move(broken), "zeros");
  ASSERT_TRUE(registry.ok());
  const absl::Status status = CheckBackendsCompute(*registry);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(),
            "backend zeros is off by relative L2 error 1 on float32 (limit 1e-5)");
}

}  // namespace
}  // namespace attnserve
