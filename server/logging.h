// The server's logging: one line per event on stderr with a UTC timestamp and a severity.
// (Abseil 20220623 has no absl/log; stdout is reserved for the "listening on" line.)
// Thread-safe: each line is written with a single call.
#ifndef ATTNSERVE_SERVER_LOGGING_H_
#define ATTNSERVE_SERVER_LOGGING_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace attnserve {

void LogInfo(absl::string_view message);
void LogWarning(absl::string_view message);
void LogError(absl::string_view message);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_LOGGING_H_
