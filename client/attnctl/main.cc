// attnctl: the command-line client of attnserve. Finds the subcommand (the first positional
// argument), checks that every flag given is one it reads, and runs it. See help.cc for the
// usage text and exit codes.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "client/attnctl/command.h"
#include "client/attnctl/command_line.h"
#include "client/attnctl/common_flags.h"
#include "client/attnctl/help.h"

namespace attnserve::attnctl {
namespace {

const Command* FindCommand(const std::vector<Command>& commands, const std::string& name) {
  for (const Command& command : commands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

// A flag another command reads is an error rather than silently ignored.
absl::Status CheckFlagsApply(const Command& command, const std::vector<std::string>& given) {
  for (const std::string& flag : given) {
    const auto reads = [&flag](const std::vector<std::string>& names) {
      return std::find(names.begin(), names.end(), flag) != names.end();
    };
    if (!reads(command.flags) && !reads(kConnectionFlags)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " does not apply to '",
                                                     command.name, "' (see attnctl ", command.name,
                                                     " --help)"));
    }
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  const std::vector<Command> commands = {InfoCommand(),   HealthCommand(), AttentionCommand(),
                                         RotaryCommand(), AlibiCommand(),  BenchCommand()};
  absl::StatusOr<CommandLine> line = CheckCommandLine(argc, argv);
  if (!line.ok()) return ReportUsageError(absl::StrCat(line.status().message(), " (see --help)"));
  std::vector<std::string>& positional = line->positional;

  if (line->help || (!positional.empty() && positional[0] == "help")) {
    if (!positional.empty() && positional[0] == "help") positional.erase(positional.begin());
    if (positional.empty()) {
      PrintHelp(std::cout, commands);
      return kExitOk;
    }
    const Command* command = FindCommand(commands, positional[0]);
    if (command == nullptr) {
      return ReportUsageError(absl::StrCat("unknown command '", positional[0], "' (see --help)"));
    }
    PrintCommandHelp(std::cout, *command);
    return kExitOk;
  }
  if (positional.empty()) {
    PrintShortUsage(std::cerr, commands);
    return kExitUsage;
  }
  const Command* command = FindCommand(commands, positional[0]);
  if (command == nullptr) {
    return ReportUsageError(absl::StrCat("unknown command '", positional[0], "' (see --help)"));
  }
  if (positional.size() > 1) {
    return ReportUsageError(absl::StrCat("unexpected argument '", positional[1], "'"));
  }
  if (absl::Status status = CheckFlagsApply(*command, line->flags); !status.ok()) {
    return ReportUsageError(status.message());
  }
  // CheckCommandLine has checked and set every flag (Abseil's own parser would reject the
  // dashed names and optional values it accepts).
  return command->run();
}

}  // namespace
}  // namespace attnserve::attnctl

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("command-line client of attnserve; run attnctl --help");
  return attnserve::attnctl::Main(argc, argv);
}
