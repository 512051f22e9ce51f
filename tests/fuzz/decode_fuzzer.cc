// libFuzzer target over everything an untrusted request reaches before and after validation:
// protobuf parsing, the decoders of server/decode/, and, for requests they accept, the handler's
// computation on the real backends. Input format: tests/fuzz/fuzz_input.h. Any status is a
// correct answer; only crashes, sanitizer findings, timeouts and runaway memory are bugs.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/reference/reference_attention.h"
#include "prometheus/registry.h"
#include "server/engine/backend_registry.h"
#include "server/handlers/request_handlers.h"
#include "server/metrics/service_metrics.h"
#include "tests/fuzz/fuzz_input.h"

namespace attnserve::fuzz {
namespace {

// Far below the server's defaults, so that whatever validation accepts allocates a few MiB and
// computes for milliseconds at most. Then an input that is slow or large only because a limit
// allowed it cannot occur, and every -timeout or -rss_limit_mb report is a real bug: some
// size the decoders do not bound.
RequestLimits FuzzLimits() {
  RequestLimits limits;
  limits.max_message_bytes = int64_t{1} << 20;
  limits.max_probability_elements = int64_t{1} << 16;
  limits.max_tensor_elements = int64_t{1} << 16;
  limits.max_attention_work = int64_t{1} << 18;
  return limits;
}

// The handlers as Server::Start assembles them (both backends, "cpu" the default, so fuzzed
// requests can name either), minus the gRPC transport. Built once: constructing them per input
// would dominate the run time.
class FuzzServer {
 public:
  static const FuzzServer& Get() {
    static const FuzzServer* const server = new FuzzServer();
    return *server;
  }

  const RequestHandlers& handlers() const { return handlers_; }

 private:
  FuzzServer()
      : backends_(MakeBackends()),
        metrics_(registry_, "fuzz", "cpu,reference", 1),
        handlers_(backends_, FuzzLimits(), {"fuzz", 1, 1, 0}, metrics_) {}

  static BackendRegistry MakeBackends() {
    std::vector<std::unique_ptr<Backend>> backends;
    backends.push_back(std::make_unique<CpuBackend>());
    backends.push_back(std::make_unique<ReferenceBackend>());
    return *BackendRegistry::Create(std::move(backends), "cpu");
  }

  BackendRegistry backends_;
  prometheus::Registry registry_;
  ServiceMetrics metrics_;
  RequestHandlers handlers_;
};

// Parses `Request` from the bytes and runs the handler `handle` on it. Unparsable bytes never
// reach a handler: gRPC refuses them. ComputeAttention's StopCheck is passed empty, as in a
// call whose client stays.
template <typename Request, typename Response, typename... Extra>
void Fuzz(absl::Status (RequestHandlers::*handle)(const Request&, Response&, Extra...) const,
          const uint8_t* data, size_t size) {
  Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  Response response;
  (FuzzServer::Get().handlers().*handle)(request, response, std::remove_cvref_t<Extra>{}...)
      .IgnoreError();
}

void FuzzOneInput(const uint8_t* data, size_t size) {
  // gRPC refuses messages over max_message_bytes before any handler runs.
  if (size == 0 || size - 1 > static_cast<size_t>(FuzzLimits().max_message_bytes)) return;
  const uint8_t* message = data + 1;
  const size_t message_size = size - 1;
  switch (RpcOfSelector(data[0])) {
    case FuzzedRpc::kComputeAttention:
      return Fuzz(&RequestHandlers::ComputeAttention, message, message_size);
    case FuzzedRpc::kApplyRotary:
      return Fuzz(&RequestHandlers::ApplyRotary, message, message_size);
    case FuzzedRpc::kGetRotaryTable:
      return Fuzz(&RequestHandlers::GetRotaryTable, message, message_size);
    case FuzzedRpc::kGetAlibiSlopes:
      return Fuzz(&RequestHandlers::GetAlibiSlopes, message, message_size);
    case FuzzedRpc::kGetSinusoidalTable:
      return Fuzz(&RequestHandlers::GetSinusoidalTable, message, message_size);
  }
}

}  // namespace
}  // namespace attnserve::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Fuzzed strings are often invalid UTF-8, which protobuf rightly refuses with an error line
  // per parse; thousands of those lines a second would bury libFuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  attnserve::fuzz::FuzzOneInput(data, size);
  return 0;
}
