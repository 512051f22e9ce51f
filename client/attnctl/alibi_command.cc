// attnctl alibi: the ALiBi slopes of a head count (GetAlibiSlopes), and the bias matrix.
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/attnctl/command.h"
#include "client/attnctl/common_flags.h"
#include "client/attnctl/encoding_flags.h"
#include "client/attnctl/tensor_files.h"
#include "client/attnctl/tensor_format.h"
#include "client/cpp/attnserve_client.h"

ABSL_FLAG(int64_t, query_length, 0,
          "alibi: query rows of the bias matrix (with --key_length; 0: slopes only).");
ABSL_FLAG(int64_t, key_length, 0,
          "alibi: key columns of the bias matrix; also the length L of ALiBi interpolation.");

namespace attnserve::attnctl {
namespace {

int RunAlibi() {
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return ReportUsageError(options.status().message());
  const int64_t heads = absl::GetFlag(FLAGS_heads);
  if (heads < 1 || heads > std::numeric_limits<int32_t>::max()) {
    return ReportUsageError(absl::StrCat("--heads=", heads, " is out of range"));
  }
  const int64_t query_length = absl::GetFlag(FLAGS_query_length);
  const int64_t key_length = absl::GetFlag(FLAGS_key_length);
  const std::string output = absl::GetFlag(FLAGS_output);
  if (!output.empty() && (query_length <= 0 || key_length <= 0)) {
    return ReportUsageError("--output needs --query_length and --key_length");
  }

  v1::AlibiRequest request;
  request.set_num_heads(static_cast<int32_t>(heads));
  request.set_max_bias(absl::GetFlag(FLAGS_alibi_max_bias));
  request.set_query_length(query_length);
  request.set_key_length(key_length);
  request.set_training_length(absl::GetFlag(FLAGS_alibi_training_length));
  AttnClient client(*options);
  absl::StatusOr<v1::AlibiResponse> response = client.GetAlibiSlopes(request);
  if (!response.ok()) return ReportRpcError(response.status());

  const std::vector<float> slopes(response->slopes().begin(), response->slopes().end());
  std::cout << "slopes (" << slopes.size() << " heads): " << FormatValues(slopes, slopes.size(), 9)
            << "\n";
  absl::Status reported = absl::OkStatus();
  if (response->has_bias()) reported = WriteOrPrintTensor("bias", response->bias(), output);
  std::cout << std::flush;
  return reported.ok() ? kExitOk : ReportUsageError(reported.message());
}

}  // namespace

Command AlibiCommand() {
  return {
      "alibi",
      "ALiBi slopes (GetAlibiSlopes), and the bias matrix",
      "alibi --heads H [--alibi_max_bias B] [--alibi_training_length N]\n"
      "alibi --heads H --query_length Q --key_length K [--output bias.npy]",
      "GetAlibiSlopes: prints the slope of each query head; with --query_length and\n"
      "--key_length also the bias matrix [heads, Q, K], written to --output if given.",
      {"heads", "alibi_max_bias", "alibi_training_length", "query_length", "key_length", "output"},
      &RunAlibi};
}

}  // namespace attnserve::attnctl
