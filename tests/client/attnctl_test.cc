// attnctl end to end: the real binary against a real attnserve on 127.0.0.1, checking output,
// files and exit codes (0 ok, 1 RPC failed, 2 usage, 3 mismatch, 4 not serving).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "attnserve/v1/attention.grpc.pb.h"
#include "client/cpp/tensors.h"
#include "client/npy/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/attnctl_runner.h"
#include "tests/support/server_process.h"
#include "tests/support/wrong_attention_server.h"

namespace attnserve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using testing::RunAttnctl;
using testing::RunResult;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/attnctl_test_", getpid(), "_", name);
}

// Every test talks to one server, started once per test binary run and stopped with SIGTERM,
// which must exit 0.
class AttnctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
        testing::ServerProcess::Start({});
    if (server.ok()) {
      server_ = std::move(*server).release();
    } else {
      *start_error_ = server.status().ToString();
    }
  }

  static void TearDownTestSuite() {
    if (server_ == nullptr) return;
    absl::StatusOr<int> exit_code = server_->Stop();
    EXPECT_TRUE(exit_code.ok()) << exit_code.status();
    EXPECT_EQ(exit_code.value_or(-1), 0);
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(server_, nullptr) << *start_error_; }

  // attnctl COMMAND --target <server> ARGS...
  RunResult Run(const std::string& command, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {command, "--target", server_->target()});
    return RunAttnctl(args);
  }

  static testing::ServerProcess* server_;
  static std::string* start_error_;
};

testing::ServerProcess* AttnctlTest::server_ = nullptr;
std::string* AttnctlTest::start_error_ = new std::string();

TEST_F(AttnctlTest, InfoListsCpuAndReferenceBackends) {
  const RunResult result = Run("info");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("cpu (default)"));
  EXPECT_THAT(result.out, HasSubstr("reference"));
  EXPECT_THAT(result.out, HasSubstr("float16"));
  EXPECT_THAT(result.out, HasSubstr("max_message_bytes"));
}

TEST_F(AttnctlTest, HealthOfServingServerPrintsServingAndExitsZero) {
  const RunResult result = Run("health");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "SERVING\n");
}

TEST_F(AttnctlTest, HealthOfUnknownServiceExitsFour) {
  const RunResult result = Run("health", {"--service", "no.such.Service"});
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_EQ(result.out, "SERVICE_UNKNOWN\n");
}

struct VerifyCase {
  std::string name;
  std::vector<std::string> args;
};

class AttnctlVerifyTest : public AttnctlTest, public ::testing::WithParamInterface<VerifyCase> {};

TEST_P(AttnctlVerifyTest, ServerResultMatchesLocalReference) {
  std::vector<std::string> args = GetParam().args;
  args.push_back("--verify");
  const RunResult result = Run("attention", args);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("verify output: relative L2 error"));
  EXPECT_THAT(result.out, Not(HasSubstr("MISMATCH")));
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, AttnctlVerifyTest,
    ::testing::Values(
        VerifyCase{"Yarn",
                   {"--rope", "yarn", "--rope_factor", "4", "--rope_original_max_position", "4096",
                    "--position_offsets", "70000", "--causal", "--lse"}},
        VerifyCase{"YarnGptOssNoTruncate",
                   {"--rope", "yarn", "--rope_theta", "150000", "--rope_factor", "32",
                    "--rope_original_max_position", "4096", "--yarn_truncate", "false",
                    "--position_offsets", "40000"}},
        VerifyCase{"Llama3Theta500k",
                   {"--rope", "llama3", "--rope_theta", "500000", "--position_offsets", "20000",
                    "--causal"}},
        VerifyCase{"LongRopeHeadDim16",
                   {"--head_dim", "16", "--rope", "longrope", "--rope_factor", "32",
                    "--rope_original_max_position", "4096", "--longrope_short_factor",
                    "1,1.25,1.5,2,2,2,2,2", "--longrope_long_factor", "1,2.5,8,24,24,24,24,24",
                    "--position_offsets", "5000"}},
        VerifyCase{"Alibi", {"--alibi", "--heads", "12", "--causal", "--lse"}},
        VerifyCase{"HybridGqaWindow",
                   {"--rope", "default", "--alibi", "--alibi_max_bias", "4", "--heads", "8",
                    "--kv_heads", "2", "--window", "5", "--causal", "--position_offsets", "1000"}},
        VerifyCase{"PartialInterleavedDynamicNtk",
                   {"--rope", "dynamic_ntk", "--rope_factor", "2", "--rope_original_max_position",
                    "16", "--rotary_dim", "32", "--rope_interleaved", "--position_offsets", "100"}},
        VerifyCase{"BatchKvLengthsProbabilities",
                   {"--batch", "2", "--kv_lengths", "3,16", "--position_offsets", "0,100", "--rope",
                    "linear", "--rope_factor", "4", "--probabilities", "--lse"}},
        VerifyCase{"Float16", {"--dtype", "float16", "--rope", "ntk", "--rope_alpha", "4"}},
        VerifyCase{
            "Float16InFloat32Out",
            {"--dtype", "float16", "--output_dtype", "float32", "--alibi", "--rope", "default"}},
        VerifyCase{"BFloat16", {"--dtype", "bfloat16", "--rope", "default", "--causal"}},
        VerifyCase{"ReferenceBackend",
                   {"--backend", "reference", "--rope", "yarn", "--rope_factor", "8",
                    "--rope_original_max_position", "2048", "--q_len", "4", "--kv_len", "8"}}),
    [](const ::testing::TestParamInfo<VerifyCase>& info) { return info.param.name; });

TEST_F(AttnctlTest, IndivisibleHeadsIsAnRpcErrorNamingTheRule) {
  const RunResult result = Run("attention", {"--heads", "6", "--kv_heads", "4"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("error: INVALID_ARGUMENT: key.shape[2]=4 must divide query "
                                    "heads=6"));
}

TEST_F(AttnctlTest, UnreachableTargetIsAnRpcError) {
  const RunResult result =
      RunAttnctl({"info", "--target", "127.0.0.1:1", "--timeout_seconds", "2"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: "));
}

TEST_F(AttnctlTest, UnknownCommandIsAUsageError) {
  const RunResult result = Run("frobnicate");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("unknown command 'frobnicate'"));
}

TEST_F(AttnctlTest, BadFlagValueIsAOneLineUsageError) {
  const RunResult result = Run("attention", {"--heads", "many"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--heads"));
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

TEST_F(AttnctlTest, UnknownFlagIsAUsageError) {
  EXPECT_EQ(Run("info", {"--no_such_flag"}).exit_code, 2);
}

TEST_F(AttnctlTest, FlagOfAnotherCommandIsAUsageError) {
  const RunResult result = Run("health", {"--heads", "4"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--heads does not apply to 'health'"));
}

TEST_F(AttnctlTest, EncodingFlagOfAnotherRopeTypeIsAUsageError) {
  const RunResult result = Run("attention", {"--rope", "yarn", "--rope_alpha", "2"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--rope_alpha does not apply to --rope yarn"));
}

TEST_F(AttnctlTest, UnreadableNpyIsAUsageError) {
  const std::string missing = TempPath("missing.npy");
  const RunResult result =
      Run("attention", {"--query", missing, "--key", missing, "--value", missing});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(missing));
}

TEST_F(AttnctlTest, OutputFlagsWriteNpyFilesOfTheResultShapes) {
  const std::string output = TempPath("output.npy");
  const std::string lse = TempPath("lse.npy");
  const RunResult result =
      Run("attention", {"--batch", "2", "--q_len", "3", "--kv_len", "5", "--heads", "4",
                        "--head_dim", "8", "--v_head_dim", "6", "--output_dtype", "float16",
                        "--output", output, "--lse_output", lse});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  absl::StatusOr<NpyArray> output_array = ReadNpy(output);
  ASSERT_TRUE(output_array.ok()) << output_array.status();
  EXPECT_THAT(output_array->shape, ElementsAre(2, 3, 4, 6));
  EXPECT_EQ(output_array->descr, "<f2");
  absl::StatusOr<NpyArray> lse_array = ReadNpy(lse);
  ASSERT_TRUE(lse_array.ok()) << lse_array.status();
  EXPECT_THAT(lse_array->shape, ElementsAre(2, 4, 3));
  EXPECT_EQ(lse_array->descr, "<f4");
}

TEST_F(AttnctlTest, BFloat16OutputIsWrittenAsFloat32) {
  const std::string output = TempPath("bf16.npy");
  const RunResult result = Run("attention", {"--output_dtype", "bfloat16", "--output", output});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  absl::StatusOr<NpyArray> array = ReadNpy(output);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(1, 16, 8, 64));
  EXPECT_EQ(array->descr, "<f4");
}

TEST_F(AttnctlTest, InputsFromNpyFilesAreVerified) {
  const std::string query = TempPath("q.npy");
  const std::string key = TempPath("k.npy");
  const std::string value = TempPath("v.npy");
  std::vector<float> values(2 * 7 * 6 * 16);
  for (size_t n = 0; n < values.size(); ++n) values[n] = std::sin(0.37f * n);
  ASSERT_TRUE(
      WriteNpy(query, {2, 5, 6, 16}, std::span(values).first(2 * 5 * 6 * 16), NpyDtype::kFloat32)
          .ok());
  ASSERT_TRUE(
      WriteNpy(key, {2, 7, 3, 16}, std::span(values).first(2 * 7 * 3 * 16), NpyDtype::kFloat16)
          .ok());
  ASSERT_TRUE(
      WriteNpy(value, {2, 7, 3, 8}, std::span(values).first(2 * 7 * 3 * 8), NpyDtype::kFloat32)
          .ok());
  const std::string output = TempPath("from_files.npy");
  const RunResult result =
      Run("attention", {"--query", query, "--key", key, "--value", value, "--rope", "default",
                        "--causal", "--output", output, "--verify"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  absl::StatusOr<NpyArray> array = ReadNpy(output);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(2, 5, 6, 8));
}

TEST_F(AttnctlTest, AlibiPrintsTwelveHeadSlopes) {
  const RunResult result = Run("alibi", {"--heads", "12"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("[0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, "
                                    "0.00390625, 0.707106769, 0.353553385, 0.176776692, "
                                    "0.0883883461]"));
}

TEST_F(AttnctlTest, AlibiWritesBiasMatrix) {
  const std::string output = TempPath("bias.npy");
  const RunResult result = Run(
      "alibi", {"--heads", "4", "--query_length", "2", "--key_length", "3", "--output", output});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  absl::StatusOr<NpyArray> array = ReadNpy(output);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(4, 2, 3));
  // Head 0 has slope 2^-2; query i sits at key position 1 + i.
  EXPECT_THAT(std::span(array->values).first(6),
              ElementsAre(-0.25f, 0.0f, -0.25f, -0.5f, -0.25f, 0.0f));
}

TEST_F(AttnctlTest, RotaryPrintsInverseFrequencies) {
  const RunResult result =
      Run("rotary", {"--rope", "default", "--head_dim", "8", "--positions", "0,5"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("inv_freq: [1, 0.10000000000000001, 0.01, 0.001]"));
  EXPECT_THAT(result.out, HasSubstr("position 5:"));
}

// encodings.md section 6: default_t1e4.q@5.
TEST_F(AttnctlTest, RotaryRotatesQueryFileAsTheWorkedValue) {
  const std::string query = TempPath("rope_q.npy");
  const std::string output = TempPath("rope_out.npy");
  const std::vector<float> rope_input_q = {0.5, -1.25, 2, 0.75, -1.5, 1, -0.25, 1.75};
  ASSERT_TRUE(WriteNpy(query, {1, 1, 1, 8}, rope_input_q, NpyDtype::kFloat32).ok());
  const RunResult result = Run(
      "rotary", {"--rope", "default", "--query", query, "--positions", "5", "--output", output});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  absl::StatusOr<NpyArray> array = ReadNpy(output);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->shape, ElementsAre(1, 1, 1, 8));
  const double expected[] = {-1.2965553192630948,  -1.5764037409671687,  2.009995313107602,
                             0.74124066147781908,  -0.90495541552640879, 0.27830063863511889,
                             -0.14972922655738491, 1.7537281094205925};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(array->values[i], expected[i], 1e-6) << i;
}

TEST(Attnctl, VerifyAgainstASubtlyWrongServerExitsThree) {
  testing::WrongAttentionServer server;
  const RunResult result = RunAttnctl({"attention", "--target", server.target(), "--verify"});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("MISMATCH"));
}

TEST(Attnctl, HelpDocumentsExitCodesAndBFloat16Output) {
  const RunResult result = RunAttnctl({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("Exit codes:"));
  EXPECT_THAT(result.out, HasSubstr("numpy has no bfloat16"));
  for (const char* command : {"info", "health", "attention", "rotary", "alibi"}) {
    EXPECT_THAT(result.out, HasSubstr(absl::StrCat("attnctl ", command))) << command;
  }
}

TEST(Attnctl, NoCommandIsAUsageError) { EXPECT_EQ(RunAttnctl({}).exit_code, 2); }

}  // namespace
}  // namespace attnserve
