// attnctl attention: one ComputeAttention call on random or .npy inputs, its results written to
// .npy files or summarized, and optionally checked against the local float64 reference.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/attnctl/attention_request_flags.h"
#include "client/attnctl/attention_verify.h"
#include "client/attnctl/command.h"
#include "client/attnctl/command_line.h"
#include "client/attnctl/common_flags.h"
#include "client/attnctl/encoding_flags.h"
#include "client/attnctl/flag_values.h"
#include "client/attnctl/tensor_files.h"
#include "client/cpp/attnserve_client.h"
#include "server/decode/tensor_codec.h"

ABSL_FLAG(std::string, lse_output, "", "Write the lse [batch, heads, q_len] here (implies --lse).");
ABSL_FLAG(std::string, probabilities_output, "",
          "Write the probabilities [batch, heads, q_len, kv_len] here (implies --probabilities).");

namespace attnserve::attnctl {
namespace {

// The request of the shared flags, plus what this command's output-file flags ask for.
absl::StatusOr<v1::AttentionRequest> RequestFromFlags() {
  absl::StatusOr<v1::AttentionRequest> request = AttentionRequestFromFlags();
  if (!request.ok()) return request.status();
  if (!absl::GetFlag(FLAGS_lse_output).empty()) request->set_return_lse(true);
  if (!absl::GetFlag(FLAGS_probabilities_output).empty()) request->set_return_probabilities(true);
  return request;
}

int Verify(const v1::AttentionRequest& request, const v1::AttentionResponse& response) {
  absl::StatusOr<std::vector<Comparison>> comparisons = VerifyAttention(request, response);
  if (!comparisons.ok()) {
    std::cerr << "error: cannot verify: " << comparisons.status().message() << std::endl;
    return kExitMismatch;
  }
  bool passed = true;
  for (const Comparison& comparison : *comparisons) {
    std::cout << absl::StrFormat("verify %s: relative L2 error %.3g, tolerance %.0e: %s\n",
                                 comparison.tensor, comparison.error, comparison.tolerance,
                                 comparison.passed() ? "ok" : "MISMATCH");
    passed = passed && comparison.passed();
  }
  std::cout << std::flush;
  if (!passed) {
    std::cerr << "error: the server's result differs from the float64 reference" << std::endl;
    return kExitMismatch;
  }
  return kExitOk;
}

int RunAttention() {
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return ReportUsageError(options.status().message());
  absl::StatusOr<v1::AttentionRequest> request = RequestFromFlags();
  if (!request.ok()) return ReportUsageError(request.status().message());

  AttnClient client(*options);
  absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(*request);
  if (!response.ok()) return ReportRpcError(response.status());

  std::cout << "backend: " << response->backend() << "\n";
  if (!response->request_id().empty())
    std::cout << "request_id: " << response->request_id() << "\n";
  absl::Status reported =
      WriteOrPrintTensor("output", response->output(), absl::GetFlag(FLAGS_output));
  if (reported.ok() && request->return_lse()) {
    reported = WriteOrPrintTensor("lse", response->lse(), absl::GetFlag(FLAGS_lse_output));
  }
  if (reported.ok() && request->return_probabilities()) {
    reported = WriteOrPrintTensor("probabilities", response->probabilities(),
                                  absl::GetFlag(FLAGS_probabilities_output));
  }
  std::cout << std::flush;
  if (!reported.ok()) return ReportUsageError(reported.message());
  return absl::GetFlag(FLAGS_verify) ? Verify(*request, *response) : kExitOk;
}

}  // namespace

Command AttentionCommand() {
  std::vector<std::string> flags = AttentionRequestFlagNames();
  for (const char* flag : {"output", "lse_output", "probabilities_output", "verify"}) {
    flags.push_back(flag);
  }
  return {"attention",
          "ComputeAttention on random or .npy inputs; --verify against a float64 reference",
          "attention [shape flags] [encoding flags] [--output O.npy] [--verify]\n"
          "attention --query Q.npy --key K.npy --value V.npy [encoding flags] [...]",
          "ComputeAttention on seeded random inputs (uniform in [-1, 1)) or on three .npy files\n"
          "(shapes then come from the files; --dtype is what is sent). Without --output prints a\n"
          "summary of the result. --verify compares with a local float64 reference (exit 3 on a\n"
          "mismatch).",
          std::move(flags),
          &RunAttention};
}

}  // namespace attnserve::attnctl
