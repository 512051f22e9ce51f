// attnctl rotary: a rotary encoding's table (GetRotaryTable), or a query tensor rotated by it
// (ApplyRotary).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/attnctl/command.h"
#include "client/attnctl/command_line.h"
#include "client/attnctl/common_flags.h"
#include "client/attnctl/encoding_flags.h"
#include "client/attnctl/flag_values.h"
#include "client/attnctl/tensor_files.h"
#include "client/attnctl/tensor_format.h"
#include "client/cpp/attnserve_client.h"
#include "client/cpp/tensors.h"

ABSL_FLAG(std::string, positions, "",
          "rotary: positions, comma-separated (e.g. 0,1,70000): rows of the table, or one per "
          "sequence index of --query (empty: 0 .. seq-1).");

namespace attnserve::attnctl {
namespace {

// Prints inv_freq, the attention factor and the cos/sin row of each position.
int PrintTable(AttnClient& client, const v1::RotaryEncoding& rotary,
               const std::vector<int64_t>& positions) {
  const int64_t head_dim = absl::GetFlag(FLAGS_head_dim);
  if (head_dim < 1 || head_dim > (int64_t{1} << 30)) {
    return ReportUsageError(absl::StrCat("--head_dim=", head_dim, " is out of range"));
  }
  v1::RotaryTableRequest request;
  *request.mutable_rotary() = rotary;
  request.set_head_dim(static_cast<int32_t>(head_dim));
  request.mutable_positions()->Add(positions.begin(), positions.end());
  absl::StatusOr<v1::RotaryTable> table = client.GetRotaryTable(request);
  if (!table.ok()) return ReportRpcError(table.status());

  absl::StatusOr<std::vector<float>> cos = TensorValues(table->cos());
  absl::StatusOr<std::vector<float>> sin = TensorValues(table->sin());
  if (!cos.ok() || !sin.ok()) {
    return ReportRpcError(absl::InternalError(
        absl::StrCat("malformed cos/sin table: ", (cos.ok() ? sin : cos).status().message())));
  }
  const std::vector<double> inv_freq(table->inv_freq().begin(), table->inv_freq().end());
  const size_t pairs = inv_freq.size();
  std::cout << "rotary_dim: " << 2 * pairs << " (" << pairs << " pairs)\n"
            << "attention_factor: " << absl::StrFormat("%.17g", table->attention_factor()) << "\n"
            << "inv_freq: " << FormatValues(inv_freq, pairs, 17) << "\n";
  for (size_t row = 0; row < positions.size() && cos->size() == positions.size() * pairs &&
                       sin->size() == cos->size();
       ++row) {
    const std::span<const float> cos_row = std::span<const float>(*cos).subspan(row * pairs, pairs);
    const std::span<const float> sin_row = std::span<const float>(*sin).subspan(row * pairs, pairs);
    std::cout << "position " << positions[row] << ":\n"
              << "  cos " << FormatValues(cos_row, pairs, 9) << "\n"
              << "  sin " << FormatValues(sin_row, pairs, 9) << "\n";
  }
  std::cout << std::flush;
  return kExitOk;
}

// Rotates the --query tensor and writes (or summarizes) the result.
int RotateQuery(AttnClient& client, const v1::RotaryEncoding& rotary,
                const std::vector<int64_t>& positions) {
  if (FlagGiven("head_dim")) {
    return ReportUsageError("--head_dim does not apply with --query (it comes from the file)");
  }
  absl::StatusOr<std::optional<DataType>> dtype =
      ParseDataType(absl::GetFlag(FLAGS_dtype), "dtype", /*allow_empty=*/false);
  if (!dtype.ok()) return ReportUsageError(dtype.status().message());
  absl::StatusOr<v1::Tensor> query =
      ReadTensorFile(absl::GetFlag(FLAGS_query), **dtype, 4, "query");
  if (!query.ok()) return ReportUsageError(query.status().message());

  v1::RotaryRequest request;
  *request.mutable_query() = std::move(*query);
  *request.mutable_rotary() = rotary;
  request.mutable_positions()->Add(positions.begin(), positions.end());
  absl::StatusOr<v1::RotaryResponse> response = client.ApplyRotary(request);
  if (!response.ok()) return ReportRpcError(response.status());
  absl::Status reported =
      WriteOrPrintTensor("rotated query", response->query(), absl::GetFlag(FLAGS_output));
  std::cout << std::flush;
  return reported.ok() ? kExitOk : ReportUsageError(reported.message());
}

int RunRotary() {
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return ReportUsageError(options.status().message());
  absl::StatusOr<std::optional<v1::RotaryEncoding>> rotary = RotaryFromFlags("default");
  if (!rotary.ok()) return ReportUsageError(rotary.status().message());
  if (!*rotary) return ReportUsageError("rotary needs a rotary encoding, not --rope none");
  absl::StatusOr<std::vector<int64_t>> positions =
      ParseInt64List(absl::GetFlag(FLAGS_positions), "positions");
  if (!positions.ok()) return ReportUsageError(positions.status().message());
  const bool has_query = !absl::GetFlag(FLAGS_query).empty();
  if (!has_query && FlagGiven("output")) return ReportUsageError("--output needs --query");
  if (!has_query && FlagGiven("dtype")) return ReportUsageError("--dtype needs --query");

  AttnClient client(*options);
  return has_query ? RotateQuery(client, **rotary, *positions)
                   : PrintTable(client, **rotary, *positions);
}

}  // namespace

Command RotaryCommand() {
  std::vector<std::string> flags = {"head_dim", "positions", "query", "dtype", "output"};
  const std::vector<std::string> rotary_flags = RotaryFlagNames();
  flags.insert(flags.end(), rotary_flags.begin(), rotary_flags.end());
  return {"rotary",
          "rotary tables (GetRotaryTable), or a rotated .npy query (ApplyRotary)",
          "rotary [--rope TYPE] [--head_dim D] [rope flags] [--positions 0,1,70000]\n"
          "rotary [--rope TYPE] --query Q.npy [--positions ...] [--output R.npy]",
          "GetRotaryTable: prints inv_freq, the attention factor and the cos/sin rows of\n"
          "--positions. With --query ([batch, seq, heads, head_dim]) calls ApplyRotary instead\n"
          "and writes the rotated tensor to --output (or prints a summary).",
          std::move(flags),
          &RunRotary};
}

}  // namespace attnserve::attnctl
