#include "client/attnctl/command.h"

#include <iostream>
#include <string>

namespace attnserve::attnctl {

int ReportRpcError(const absl::Status& status) {
  std::cerr << "error: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
            << std::endl;
  return kExitRpcFailed;
}

int ReportUsageError(absl::string_view message) {
  std::cerr << "error: " << message << std::endl;
  return kExitUsage;
}

}  // namespace attnserve::attnctl
