// What an attnctl subcommand is, the exit codes every command shares, and the two ways a command
// fails. Each command lives in its own <name>_command.cc and is listed by main.cc. Commands run
// once per process, on the thread that parsed the flags.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_COMMAND_H_
#define ATTNSERVE_CLIENT_ATTNCTL_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace attnserve::attnctl {

// Documented in main.cc's usage text; scripts rely on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitRpcFailed = 1,
  kExitUsage = 2,
  kExitMismatch = 3,
  kExitNotServing = 4,
};

struct Command {
  std::string name;
  std::string brief;               // one line for the command list
  std::string synopsis;            // usage forms, one a line, e.g. "alibi --heads N [...]"
  std::string summary;             // what it does, a few lines
  std::vector<std::string> flags;  // flags it reads besides the connection flags
  int (*run)();                    // returns an ExitCode
};

Command InfoCommand();
Command HealthCommand();
Command AttentionCommand();
Command RotaryCommand();
Command AlibiCommand();
Command BenchCommand();

// Prints "error: <CODE_NAME>: <message>" to stderr and returns kExitRpcFailed.
int ReportRpcError(const absl::Status& status);
// Prints "error: <message>" to stderr and returns kExitUsage.
int ReportUsageError(absl::string_view message);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_COMMAND_H_
