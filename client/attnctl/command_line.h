// attnctl's command-line parser, over the Abseil flags linked into the binary, so that an
// unknown flag or a bad value is a one-line usage error (exit 2) rather than Abseil's exit 1,
// and so that it records which flags were given. Abseil's syntax (-name or --name, "=value" or
// the next argument as the value, --name / --noname for bools, "--" ending the flags), plus:
// dashes in names mean underscores (--max-error-rate), and --verify may stand without a value.
// Call once, from main; FlagGiven then answers for the rest of the process.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_COMMAND_LINE_H_
#define ATTNSERVE_CLIENT_ATTNCTL_COMMAND_LINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace attnserve::attnctl {

struct CommandLine {
  std::vector<std::string> positional;  // without the program name
  std::vector<std::string> flags;       // names of the flags given (--noname gives "name")
  bool help = false;                    // --help, --helpfull, --helpshort or -h
};

// Validates every flag against the flags linked into the binary, setting each to its value.
absl::StatusOr<CommandLine> CheckCommandLine(int argc, char** argv);

// Whether `name` appeared on the command line checked last.
bool FlagGiven(absl::string_view name);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_COMMAND_LINE_H_
