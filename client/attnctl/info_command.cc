// attnctl info: GetServerInfo, printed one fact per line.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "client/attnctl/command.h"
#include "client/attnctl/common_flags.h"
#include "client/attnctl/tensor_files.h"
#include "client/cpp/attnserve_client.h"

namespace attnserve::attnctl {
namespace {

int RunInfo() {
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return ReportUsageError(options.status().message());
  AttnClient client(*options);
  absl::StatusOr<v1::ServerInfo> info = client.GetServerInfo();
  if (!info.ok()) return ReportRpcError(info.status());

  std::cout << "version: " << info->version() << "\n";
  std::cout << "backends:\n";
  for (const v1::BackendInfo& backend : info->backends()) {
    std::vector<std::string> dtypes;
    for (int dtype : backend.dtypes()) dtypes.push_back(DataTypeName(v1::DataType(dtype)));
    std::cout << "  " << backend.name() << (backend.is_default() ? " (default)" : "") << ": "
              << backend.description() << "\n"
              << "    devices: " << absl::StrJoin(backend.devices(), "; ") << "\n"
              << "    dtypes: " << absl::StrJoin(dtypes, ", ") << "\n";
  }
  const v1::ServerLimits& limits = info->limits();
  std::cout << "limits:\n"
            << "  max_message_bytes: " << limits.max_message_bytes() << "\n"
            << "  max_probability_elements: " << limits.max_probability_elements() << "\n"
            << "  compute_threads: " << limits.compute_threads() << std::endl;
  return kExitOk;
}

}  // namespace

Command InfoCommand() {
  return {"info", "server version, backends and limits",
          "info", "The server's version, its backends (default, devices, dtypes) and limits.",
          {},     &RunInfo};
}

}  // namespace attnserve::attnctl
