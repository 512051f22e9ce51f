// record_cases: sends every attnserve RPC's valid request and each of its invalid cases
// (tests/support/invalid_requests.h), a health check and a method no proto declares, with the
// generated C++ stubs, and writes one JSON file of what the C++ client got. interop_test.js
// (grpc-js) and python_replay.py (grpcio) replay the recorded request bytes and must get the
// same status code, the same message and the same response.
//
// JSON: {"cases": [{"service", "method", "case", "request" (base64), "code" (int),
// "message", "response" (base64, only when code is 0)}]}.
//
// Exits 1 if the C++ client itself did not get what the validation contract says, so that the
// recording the other clients are held to is known to be right.
#include <cstdint>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "attnserve/v1/attention.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "nlohmann/json.hpp"
#include "tests/support/invalid_requests.h"
#include "tests/support/server_backends.h"

ABSL_FLAG(std::string, target, "", "host:port of a running attnserve.");
ABSL_FLAG(std::string, out, "", "Path of the JSON file to write.");

namespace attnserve {
namespace {

constexpr char kAttentionService[] = "attnserve.v1.AttentionService";
constexpr char kHealthService[] = "grpc.health.v1.Health";
constexpr absl::Duration kCallTimeout = absl::Seconds(30);

// What one case must get. `message` is not checked when it is empty and the code is not OK:
// the text of gRPC's own errors (UNIMPLEMENTED) belongs to the gRPC library, not to attnserve.
struct Expected {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
};

class Recording {
 public:
  void Add(const std::string& service, const std::string& method, const std::string& name,
           const std::string& request_bytes, const grpc::Status& status,
           const std::string& response_bytes, const Expected& expected) {
    nlohmann::json entry = {{"service", service},
                            {"method", method},
                            {"case", name},
                            {"request", absl::Base64Escape(request_bytes)},
                            {"code", static_cast<int>(status.error_code())},
                            {"message", status.error_message()}};
    if (status.ok()) entry["response"] = absl::Base64Escape(response_bytes);
    cases_.push_back(std::move(entry));

    const auto code = static_cast<absl::StatusCode>(status.error_code());
    const bool message_checked =
        expected.code == absl::StatusCode::kOk || !expected.message.empty();
    if (code != expected.code || (message_checked && status.error_message() != expected.message)) {
      mismatches_.push_back(
          absl::StrCat(method, "/", name, ": got ", absl::StatusCodeToString(code), " \"",
                       status.error_message(), "\", want ", absl::StatusCodeToString(expected.code),
                       " \"", expected.message, "\""));
    }
  }

  const nlohmann::json& cases() const { return cases_; }
  const std::vector<std::string>& mismatches() const { return mismatches_; }

 private:
  nlohmann::json cases_ = nlohmann::json::array();
  std::vector<std::string> mismatches_;
};

template <typename Stub, typename Request, typename Response>
using UnaryMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

// One call through a generated stub.
template <typename Stub, typename Request, typename Response>
void Record(Stub& stub, UnaryMethod<Stub, Request, Response> call, const std::string& service,
            const std::string& method, const std::string& name, const Request& request,
            const Expected& expected, Recording& recording) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  Response response;
  const grpc::Status status = (stub.*call)(&context, request, &response);
  recording.Add(service, method, name, request.SerializeAsString(), status,
                response.SerializeAsString(), expected);
}

// An attnserve RPC: its valid request, then each case's mutation applied to a copy of it.
template <typename Request, typename Response>
void RecordRpc(v1::AttentionService::Stub& stub,
               UnaryMethod<v1::AttentionService::Stub, Request, Response> call,
               const std::string& method, const Request& valid,
               const std::vector<testing::InvalidCase<Request>>& cases, Recording& recording) {
  Record(stub, call, kAttentionService, method, "Valid", valid, {}, recording);
  for (const testing::InvalidCase<Request>& mutation : cases) {
    Request request = valid;
    mutation.mutate(request);
    Record(stub, call, kAttentionService, method, mutation.name, request,
           {mutation.code, mutation.message}, recording);
  }
}

// Cases for what the contract's cases never put on the wire, where two protobuf or gRPC
// implementations could part ways: a proto3 `optional` field set to its default value and an
// empty sub-message (presence must survive protobufjs's decode and re-encode), a non-ASCII
// string echoed back, every optional output tensor, and a status message with non-ASCII, '%'
// and a newline (carried percent-encoded in the grpc-message header). They reuse InvalidCase,
// the first with code OK.
std::vector<testing::InvalidCase<v1::AttentionRequest>> WireFeatureCases() {
  return {
      {"ValidWithEveryOptionalField",
       [](v1::AttentionRequest& r) {
         v1::YarnScaling& yarn = *r.mutable_encoding()->mutable_rotary()->mutable_yarn();
         yarn.set_factor(4);
         yarn.set_original_max_position(2);
         yarn.set_truncate(false);
         r.mutable_encoding()->mutable_alibi();  // empty: slopes computed from the head count
         r.set_causal(true);
         for (int64_t offset : {100000, 0}) r.add_position_offsets(offset);
         r.set_backend("reference");
         r.set_output_dtype(v1::DATA_TYPE_BFLOAT16);
         r.set_return_lse(true);
         r.set_return_probabilities(true);
         r.set_request_id("interop \u00fc \u2713");
       },
       "", absl::StatusCode::kOk},
      {"UnknownBackendMessageNeedsPercentEncoding",
       [](v1::AttentionRequest& r) { r.set_backend("gp\u00fc 100%\n"); },
       "backend=\"gp\u00fc 100%\n\" is not one of: " + testing::ServerBackendList()},
  };
}

// A method no proto declares, so no typed stub can call it: sent as raw (empty) bytes.
void RecordUnknownMethod(const std::shared_ptr<grpc::Channel>& channel, Recording& recording) {
  const std::string method = "NoSuchMethod";
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, absl::StrCat("/", kAttentionService, "/", method), {}, &request,
                 &response, [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  recording.Add(kAttentionService, method, "UnknownMethod", "", status, "",
                {absl::StatusCode::kUnimplemented, ""});
}

Recording RecordAll(const std::string& target) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::AttentionService::Stub> stub = v1::AttentionService::NewStub(channel);
  using Stub = v1::AttentionService::Stub;
  Recording recording;
  std::vector<testing::InvalidCase<v1::AttentionRequest>> attention_cases =
      testing::InvalidAttentionCases();
  for (auto& wire_case : WireFeatureCases()) attention_cases.push_back(std::move(wire_case));
  RecordRpc(*stub, &Stub::ComputeAttention, "ComputeAttention", testing::ValidAttentionRequest(),
            attention_cases, recording);
  RecordRpc(*stub, &Stub::ApplyRotary, "ApplyRotary", testing::ValidRotaryRequest(),
            testing::InvalidRotaryCases(), recording);
  RecordRpc(*stub, &Stub::GetRotaryTable, "GetRotaryTable", testing::ValidRotaryTableRequest(),
            testing::InvalidRotaryTableCases(), recording);
  RecordRpc(*stub, &Stub::GetAlibiSlopes, "GetAlibiSlopes", testing::ValidAlibiRequest(),
            testing::InvalidAlibiCases(), recording);
  RecordRpc(*stub, &Stub::GetSinusoidalTable, "GetSinusoidalTable",
            testing::ValidSinusoidalRequest(), testing::InvalidSinusoidalCases(), recording);
  RecordRpc<v1::ServerInfoRequest, v1::ServerInfo>(*stub, &Stub::GetServerInfo, "GetServerInfo", {},
                                                   {}, recording);

  std::unique_ptr<grpc::health::v1::Health::Stub> health =
      grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest check;
  Record(*health, &grpc::health::v1::Health::Stub::Check, kHealthService, "Check", "WholeServer",
         check, {}, recording);
  check.set_service(kAttentionService);
  Record(*health, &grpc::health::v1::Health::Stub::Check, kHealthService, "Check",
         "AttentionService", check, {}, recording);
  check.set_service("no.such.Service");
  Record(*health, &grpc::health::v1::Health::Stub::Check, kHealthService, "Check", "UnknownService",
         check, {absl::StatusCode::kNotFound, "service name unknown"}, recording);

  RecordUnknownMethod(channel, recording);
  return recording;
}

}  // namespace
}  // namespace attnserve

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (target.empty() || out.empty()) {
    std::cerr << "usage: record_cases --target HOST:PORT --out CASES.json\n";
    return 2;
  }
  const attnserve::Recording recording = attnserve::RecordAll(target);
  std::ofstream file(out);
  file << nlohmann::json{{"cases", recording.cases()}}.dump(1) << "\n";
  if (!file.flush()) {
    std::cerr << "cannot write " << out << "\n";
    return 1;
  }
  std::cout << "recorded " << recording.cases().size() << " cases from the C++ client in " << out
            << "\n";
  for (const std::string& mismatch : recording.mismatches()) {
    std::cout << "C++ client disagrees with the contract: " << mismatch << "\n";
  }
  return recording.mismatches().empty() ? 0 : 1;
}
