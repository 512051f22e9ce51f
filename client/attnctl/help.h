// attnctl's --help text: the overview (commands, exit codes) and each command's flags, with the
// help strings and defaults Abseil holds for them.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_HELP_H_
#define ATTNSERVE_CLIENT_ATTNCTL_HELP_H_

#include <ostream>
#include <vector>

#include "client/attnctl/command.h"

namespace attnserve::attnctl {

// The overview and every command in full.
void PrintHelp(std::ostream& out, const std::vector<Command>& commands);

// One command in full, then the connection flags and exit codes.
void PrintCommandHelp(std::ostream& out, const Command& command);

// The two-line reminder printed with a usage error when no command was given.
void PrintShortUsage(std::ostream& out, const std::vector<Command>& commands);

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_HELP_H_
