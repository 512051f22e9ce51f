// Faults against a real server process: malformed requests among valid ones, 1 ms deadlines,
// clients cancelling mid-call, oversized messages, a burst over the in-flight limit and
// SIGTERM under load. In each, every valid call must succeed with the right numbers (within
// the float32 tolerance of the float64 reference), every other call must end with the status
// its fault calls for, and the server must keep serving (or, after SIGTERM, exit 0). Counts
// are fixed and small, so each test stops by itself within seconds.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cpp/attnserve_client.h"
#include "client/cpp/tensors.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/reference/reference_attention.h"
#include "server/decode/attention_decoder.h"
#include "tests/support/invalid_requests.h"
#include "tests/support/server_process.h"

namespace attnserve {
namespace {

using Code = absl::StatusCode;

// A valid request and its float64 reference output, computed once.
struct Expected {
  v1::AttentionRequest request;
  std::vector<double> output;
};

Expected WithReference(v1::AttentionRequest request) {
  absl::StatusOr<DecodedAttention> decoded =
      DecodeAttentionRequest(request, RequestLimits::Unlimited());
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return {std::move(request), ComputeReferenceAttention(decoded->problem, false).output};
}

// The small valid request of the validation table, causal with YaRN RoPE.
Expected SmallCall() {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.set_causal(true);
  v1::YarnScaling& yarn = *request.mutable_encoding()->mutable_rotary()->mutable_yarn();
  yarn.set_factor(4);
  yarn.set_original_max_position(4096);
  return WithReference(std::move(request));
}

// Tens of milliseconds on one compute thread: long enough to be caught mid-computation.
Expected MediumCall() {
  v1::AttentionRequest request;
  *request.mutable_query() = testing::RandomTensor({1, 256, 4, 64}, 11);
  *request.mutable_key() = testing::RandomTensor({1, 512, 2, 64}, 12);
  *request.mutable_value() = testing::RandomTensor({1, 512, 2, 64}, 13);
  request.mutable_encoding()->mutable_alibi();
  return WithReference(std::move(request));
}

// Empty when `response` carries the expected output, else what is wrong.
std::string CheckOutput(const Expected& expected, const v1::AttentionResponse& response) {
  absl::StatusOr<std::vector<float>> values = TensorValues(response.output());
  if (!values.ok()) return std::string(values.status().message());
  const double error =
      RelativeL2Error(std::vector<double>(values->begin(), values->end()), expected.output);
  if (!(error < kFloat32Tolerance)) return absl::StrCat("relative L2 error ", error);
  return "";
}

AttnClient Client(const std::string& target, absl::Duration timeout = absl::Seconds(60)) {
  ClientOptions options;
  options.target = target;
  options.timeout = timeout;
  return AttnClient(options);
}

std::unique_ptr<testing::ServerProcess> StartServer(const std::vector<std::string>& args) {
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
      testing::ServerProcess::Start(args);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Runs `body(thread_index)` on `threads` threads and waits for all of them.
template <typename Body>
void OnThreads(int threads, Body body) {
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) running.emplace_back(body, t);
  for (std::thread& thread : running) thread.join();
}

// Admission slots of the servers that ExpectEverySlotFree checks: in-flight and queued limits.
constexpr int kSlots = 4;

// One compute thread and kSlots admission slots, so a leaked slot shows in ExpectEverySlotFree.
std::unique_ptr<testing::ServerProcess> StartServerWithSlots() {
  return StartServer({"--threads=1", absl::StrCat("--max_inflight_requests=", kSlots),
                      absl::StrCat("--max_queued_requests=", kSlots)});
}

// `calls` valid medium calls at once must all succeed: proof that every admission slot and
// compute thread a fault may have held was given back (the server runs with
// --max_inflight_requests=calls).
void ExpectEverySlotFree(const std::string& target, int calls) {
  const Expected medium = MediumCall();
  OnThreads(calls, [&](int) {
    absl::StatusOr<v1::AttentionResponse> response =
        Client(target).ComputeAttention(medium.request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(CheckOutput(medium, *response), "");
  });
}

TEST(Faults, MalformedRequestsAmongValidOnesNeverHurtTheValidOnes) {
  std::unique_ptr<testing::ServerProcess> server = StartServer({});
  ASSERT_NE(server, nullptr);
  const Expected valid = SmallCall();
  const auto cases = testing::InvalidAttentionCases();
  constexpr int kThreads = 4, kMalformed = 1000, kValidEvery = 5;
  std::atomic<int> next = 0, valid_ok = 0, malformed_as_expected = 0;
  OnThreads(kThreads, [&](int) {
    AttnClient client = Client(server->target());
    for (int i = next++; i < kMalformed + kMalformed / kValidEvery; i = next++) {
      if (i % (kValidEvery + 1) == 0) {
        absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(valid.request);
        ASSERT_TRUE(response.ok()) << "call " << i << ": " << response.status();
        ASSERT_EQ(CheckOutput(valid, *response), "") << "call " << i;
        ++valid_ok;
        continue;
      }
      const auto& broken = cases[i % cases.size()];
      v1::AttentionRequest request = testing::ValidAttentionRequest();
      broken.mutate(request);
      const absl::Status status = client.ComputeAttention(request).status();
      ASSERT_EQ(status.code(), broken.code) << broken.name << ": " << status;
      ASSERT_EQ(status.message(), broken.message) << broken.name;
      ++malformed_as_expected;
    }
  });
  EXPECT_EQ(valid_ok, kMalformed / kValidEvery);
  EXPECT_EQ(malformed_as_expected, kMalformed);
  EXPECT_EQ(server->Stop().value_or(-1), 0);
}

TEST(Faults, OneMillisecondDeadlinesEndInTimeAndLeakNothing) {
  std::unique_ptr<testing::ServerProcess> server = StartServerWithSlots();
  ASSERT_NE(server, nullptr);
  const Expected medium = MediumCall();
  std::mutex mutex;
  std::map<Code, int> codes;
  OnThreads(8, [&](int) {
    AttnClient hurried = Client(server->target(), absl::Milliseconds(1));
    for (int call = 0; call < 25; ++call) {
      absl::StatusOr<v1::AttentionResponse> response = hurried.ComputeAttention(medium.request);
      if (response.ok()) {
        EXPECT_EQ(CheckOutput(medium, *response), "");
      }
      std::lock_guard<std::mutex> lock(mutex);
      ++codes[response.status().code()];
    }
  });
  // Past a 1 ms deadline a call may also have been refused at admission (the others hold the
  // slots) but it may not fail any other way; a medium call cannot finish within 1 ms.
  for (const auto& [code, count] : codes) {
    EXPECT_TRUE(code == Code::kDeadlineExceeded || code == Code::kResourceExhausted)
        << absl::StatusCodeToString(code) << " x" << count;
  }
  EXPECT_GT(codes[Code::kDeadlineExceeded], 0);
  ExpectEverySlotFree(server->target(), kSlots);
  EXPECT_EQ(server->Stop().value_or(-1), 0);
}

TEST(Faults, ClientsCancellingMidCallLeakNothing) {
  std::unique_ptr<testing::ServerProcess> server = StartServerWithSlots();
  ASSERT_NE(server, nullptr);
  const Expected medium = MediumCall();
  std::atomic<int> cancelled = 0;
  OnThreads(kSlots, [&](int thread) {
    // Raw stubs: AttnClient has no way to cancel. One channel per thread, closed with it, so
    // that Stop need not wait for idle connections.
    auto stub = v1::AttentionService::NewStub(
        grpc::CreateChannel(server->target(), grpc::InsecureChannelCredentials()));
    std::mt19937 random(thread);
    for (int call = 0; call < 10; ++call) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      v1::AttentionResponse response;
      std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 40));
        context.TryCancel();
      });
      const grpc::Status status = stub->ComputeAttention(&context, medium.request, &response);
      canceller.join();
      // Refusal is allowed too: a cancelled call holds its slot until its compute thread
      // notices (at once when queued, within 16 query rows when computing).
      if (status.ok()) {
        EXPECT_EQ(CheckOutput(medium, response), "");  // finished before the cancel
      } else if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
        ++cancelled;
      }
    }
  });
  EXPECT_GT(cancelled, 0);
  ExpectEverySlotFree(server->target(), kSlots);
  EXPECT_EQ(server->Stop().value_or(-1), 0);
}

TEST(Faults, OversizedMessagesAreRefusedAndValidOnesStillServed) {
  std::unique_ptr<testing::ServerProcess> server = StartServer({"--max_message_bytes=65536"});
  ASSERT_NE(server, nullptr);
  const Expected valid = SmallCall();
  v1::AttentionRequest oversized;
  *oversized.mutable_query() = testing::RandomTensor({1, 64, 4, 64}, 1);  // 64 KiB alone
  *oversized.mutable_key() = testing::RandomTensor({1, 64, 4, 64}, 2);
  *oversized.mutable_value() = testing::RandomTensor({1, 64, 4, 64}, 3);
  {
    AttnClient client = Client(server->target());
    for (int round = 0; round < 20; ++round) {
      const absl::Status refused = client.ComputeAttention(oversized).status();
      ASSERT_EQ(refused.code(), Code::kResourceExhausted) << refused;
      ASSERT_NE(refused.message().find("larger than max"), absl::string_view::npos) << refused;
      absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(valid.request);
      ASSERT_TRUE(response.ok()) << response.status();
      ASSERT_EQ(CheckOutput(valid, *response), "");
    }
  }  // the channel closes before Stop, so the drain need not wait for it
  EXPECT_EQ(server->Stop().value_or(-1), 0);
}

TEST(Faults, ABurstOverTheInflightLimitIsPartlyRefusedAndTheRestServed) {
  std::unique_ptr<testing::ServerProcess> server =
      StartServer({"--threads=1", "--max_inflight_requests=3", "--max_queued_requests=2"});
  ASSERT_NE(server, nullptr);
  const Expected medium = MediumCall();
  constexpr int kBurst = 24;
  std::atomic<int> served = 0, refused = 0;
  OnThreads(kBurst, [&](int) {
    absl::StatusOr<v1::AttentionResponse> response =
        Client(server->target()).ComputeAttention(medium.request);
    if (response.ok()) {
      EXPECT_EQ(CheckOutput(medium, *response), "");
      ++served;
      return;
    }
    EXPECT_EQ(response.status().code(), Code::kResourceExhausted) << response.status();
    EXPECT_TRUE(absl::StrContains(response.status().message(), "max_inflight_requests=3") ||
                absl::StrContains(response.status().message(), "max_queued_requests=2"))
        << response.status();
    ++refused;
  });
  EXPECT_EQ(served + refused, kBurst);
  EXPECT_GE(served, 3);  // the first three fit whatever the order
  EXPECT_GT(refused, 0);
  EXPECT_EQ(server->Stop().value_or(-1), 0);
}

TEST(Faults, SigtermUnderLoadLosesNoAcceptedCall) {
  std::unique_ptr<testing::ServerProcess> server =
      StartServer({"--threads=1", "--shutdown_grace_seconds=60"});
  ASSERT_NE(server, nullptr);
  const Expected medium = MediumCall();
  std::atomic<int> served = 0, refused = 0;
  std::atomic<bool> signalled = false;
  std::thread terminator([&] {
    while (served < 6) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    kill(server->pid(), SIGTERM);
    signalled = true;
  });
  // Each client calls until the server refuses it: every call before that must be served in
  // full, whether it was computing, queued or just sent when SIGTERM came.
  OnThreads(4, [&](int) {
    AttnClient client = Client(server->target(), absl::Seconds(60));
    for (int call = 0; call < 1000; ++call) {
      absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(medium.request);
      if (!response.ok()) {
        EXPECT_EQ(response.status().code(), Code::kUnavailable) << response.status();
        EXPECT_TRUE(signalled) << "refused before SIGTERM: " << response.status();
        ++refused;
        return;
      }
      EXPECT_EQ(CheckOutput(medium, *response), "");
      ++served;
    }
    ADD_FAILURE() << "the server never stopped taking calls";
  });
  terminator.join();
  EXPECT_EQ(refused, 4);
  EXPECT_EQ(server->Stop().value_or(-1), 0);
}

}  // namespace
}  // namespace attnserve
