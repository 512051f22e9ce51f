// attnctl bench against real servers on 127.0.0.1 (in-process, so the test reads their metrics
// registries): counts that match the server's, errors by code, the JSON document, sweeps,
// scenario files, several targets, stability windows, and --verify catching a wrong server.
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/server.h"
#include "tests/server/registry_reader.h"
#include "tests/support/attnctl_runner.h"
#include "tests/support/wrong_attention_server.h"

namespace attnserve {
namespace {

using ::testing::HasSubstr;
using testing::RunAttnctl;
using testing::RunResult;

// A small request shape for fast runs.
const std::vector<std::string> kSmall = {"--q_len", "8", "--kv_len",   "32",
                                         "--heads", "4", "--head_dim", "16"};

class InProcessServer {
 public:
  explicit InProcessServer(RequestLimits limits = {}) {
    ServerConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.metrics_port = 0;
    config.compute_threads = 2;
    config.limits = limits;
    server_ = std::move(Server::Start(config, registry_).value());
  }
  std::string target() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  double Handled(const std::string& code) const {
    return testing::MetricValue(*registry_, "grpc_server_handled_total",
                                {{"grpc_service", "attnserve.v1.AttentionService"},
                                 {"grpc_method", "ComputeAttention"},
                                 {"grpc_type", "unary"},
                                 {"grpc_code", code}});
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<Server> server_;
};

RunResult Bench(const std::string& target, std::vector<std::string> args) {
  std::vector<std::string> all = {"bench", "--target", target, "--json", "-"};
  all.insert(all.end(), args.begin(), args.end());
  return RunAttnctl(all);
}

nlohmann::json Json(const RunResult& result) {
  return nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
}

std::vector<std::string> With(std::vector<std::string> args, std::vector<std::string> more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(Bench, ClosedAndOpenLoopCountsMatchTheServersMetrics) {
  InProcessServer server;
  RunResult closed = Bench(server.target(), With(kSmall, {"--requests", "40", "--warmup", "0",
                                                          "--concurrency", "4", "--verify", "3"}));
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  nlohmann::json level = Json(closed)["levels"][0];
  EXPECT_EQ(level["requests"], 40);
  EXPECT_EQ(level["ok"], 40);
  EXPECT_EQ(level["verified"], 14);  // one in three of 40
  EXPECT_EQ(server.Handled("OK"), 40);

  RunResult open = Bench(server.target(), With(kSmall, {"--rate", "200", "--duration", "0.5",
                                                        "--warmup", "0", "--concurrency", "16"}));
  ASSERT_EQ(open.exit_code, 0) << open.err;
  level = Json(open)["levels"][0];
  EXPECT_EQ(level["rate"], 200.0);
  EXPECT_EQ(level["requests"], 100);  // 0.5 s of a 200/s schedule
  EXPECT_EQ(server.Handled("OK"), 140);
}

TEST(Bench, JsonHasEveryField) {
  InProcessServer server;
  const RunResult result = Bench(server.target(), With(kSmall, {"--requests", "10"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = Json(result);
  EXPECT_EQ(json["attnctl_bench_version"], 1);
  for (const char* key : {"targets", "mode", "connections", "duration_s", "requests", "warmup_s",
                          "verify_every", "kinds"}) {
    EXPECT_TRUE(json["config"].contains(key)) << key;
  }
  for (const char* key :
       {"name", "weight", "shape", "kv_len", "kv_heads", "dtype", "encoding", "causal"}) {
    EXPECT_TRUE(json["config"]["kinds"][0].contains(key)) << key;
  }
  const nlohmann::json& level = json["levels"][0];
  for (const char* key :
       {"concurrency", "rate", "duration_s", "requests", "ok", "errors", "requests_per_s",
        "tokens_per_s", "flops_per_s", "bytes_sent", "bytes_received", "latency_s", "verified",
        "mismatches", "windows", "stable", "spread"}) {
    EXPECT_TRUE(level.contains(key)) << key;
  }
  for (const char* key : {"min", "mean", "p50", "p90", "p95", "p99", "p99_9", "max"}) {
    EXPECT_GT(level["latency_s"][key].get<double>(), 0) << key;
  }
  EXPECT_LE(level["latency_s"]["p50"].get<double>(), level["latency_s"]["p99"].get<double>());
  EXPECT_GT(level["flops_per_s"].get<double>(), 0);
  EXPECT_TRUE(json.contains("knee"));
}

TEST(Bench, ServerErrorsAreCountedByCodeAndFailTheRun) {
  RequestLimits limits;
  limits.max_probability_elements = 10;  // every request asks for 4*8*32 probabilities
  InProcessServer server(limits);
  const std::vector<std::string> args =
      With(kSmall, {"--requests", "12", "--warmup", "0", "--probabilities"});
  RunResult result = Bench(server.target(), args);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(Json(result)["levels"][0]["errors"]["RESOURCE_EXHAUSTED"], 12);
  EXPECT_EQ(server.Handled("ResourceExhausted"), 12);
  result = Bench(server.target(), With(args, {"--max-error-rate", "1"}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(Bench, VerifyCatchesASubtlyWrongServer) {
  testing::WrongAttentionServer server;
  const RunResult result =
      Bench(server.target(), With(kSmall, {"--requests", "10", "--verify", "2"}));
  EXPECT_EQ(result.exit_code, 3) << result.err;
  const nlohmann::json level = Json(result)["levels"][0];
  EXPECT_EQ(level["verified"], 5);
  EXPECT_EQ(level["mismatches"], 5);
  EXPECT_THAT(result.err, HasSubstr("differ from the float64 reference"));
}

TEST(Bench, SweepGivesOneLevelPerConcurrencyInJsonAndCsv) {
  InProcessServer server;
  const std::string csv = absl::StrCat(::testing::TempDir(), "/bench_sweep.csv");
  const RunResult result =
      Bench(server.target(), With(kSmall, {"--concurrency-range", "1:4:x2", "--requests", "8",
                                           "--warmup", "0", "--csv", csv}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json levels = Json(result)["levels"];
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0]["concurrency"], 1);
  EXPECT_EQ(levels[2]["concurrency"], 4);
  EXPECT_EQ(server.Handled("OK"), 24);
  std::ifstream file(csv);
  int lines = 0;
  for (std::string line; std::getline(file, line);) ++lines;
  EXPECT_EQ(lines, 4);  // header and three levels
}

TEST(Bench, ScenarioFileMixesKindsAndRejectsUnknownKeys) {
  InProcessServer server;
  const std::string path = absl::StrCat(::testing::TempDir(), "/bench_scenario.yaml");
  std::ofstream(path) << "kinds:\n"
                         "  - {name: prefill, q_len: 16, kv_len: 16, heads: 4, head_dim: 16,\n"
                         "     causal: true, encoding: {rotary: {theta: 500000, llama3: {}}}}\n"
                         "  - {name: decode, weight: 3, q_len: 1, kv_len: 64, heads: 4,\n"
                         "     kv_heads: 1, head_dim: 16, dtype: bfloat16, position_offset: 9000,\n"
                         "     encoding: {alibi: {}}}\n";
  RunResult result = Bench(
      server.target(), {"--scenario", path, "--requests", "20", "--warmup", "0", "--verify", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = Json(result);
  ASSERT_EQ(json["config"]["kinds"].size(), 2u);
  EXPECT_EQ(json["config"]["kinds"][1]["dtype"], "bfloat16");
  EXPECT_EQ(json["config"]["kinds"][1]["encoding"], "alibi");
  EXPECT_EQ(json["levels"][0]["verified"], 20);
  EXPECT_EQ(json["levels"][0]["mismatches"], 0);

  std::ofstream(path) << "kinds:\n  - {name: typo, q_lenn: 4}\n";
  result = Bench(server.target(), {"--scenario", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("kind typo: unknown key 'q_lenn'"));
}

TEST(Bench, SeveralTargetsShareTheLoadRoundRobin) {
  InProcessServer a, b;
  const RunResult result = Bench(absl::StrCat(a.target(), ",", b.target()),
                                 With(kSmall, {"--requests", "40", "--warmup", "0", "--concurrency",
                                               "4", "--connections", "2"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(a.Handled("OK") + b.Handled("OK"), 40);
  EXPECT_GT(a.Handled("OK"), 0);
  EXPECT_GT(b.Handled("OK"), 0);
}

TEST(Bench, StableModeRepeatsWindowsAndReportsTheirSpread) {
  InProcessServer server;
  const RunResult result =
      Bench(server.target(), With(kSmall, {"--stable", "--duration", "0.3", "--warmup", "0.1",
                                           "--max_windows", "4", "--stability", "0.5"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json level = Json(result)["levels"][0];
  EXPECT_GE(level["windows"].size(), 3u);
  EXPECT_LE(level["windows"].size(), 4u);
  EXPECT_GE(level["spread"].get<double>(), 0);
}

}  // namespace
}  // namespace attnserve
