#include "client/attnctl/help.h"

#include <string>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/attnctl/common_flags.h"

namespace attnserve::attnctl {
namespace {

constexpr char kOverview[] =
    "attnctl: command-line client of attnserve, transformer attention with RoPE/ALiBi over gRPC.\n"
    "\n"
    "Usage: attnctl COMMAND [flags]\n"
    "       attnctl help [COMMAND]   (or: attnctl [COMMAND] --help)\n";

constexpr char kExitCodes[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the RPC failed; stderr says \"error: <CODE>: <message>\", e.g.\n"
    "     \"error: INVALID_ARGUMENT: key.shape[2]=4 must divide query heads=6\"\n"
    "  2  usage error: unknown command or flag, bad flag value, unreadable or unwritable .npy\n"
    "  3  attention --verify: the result differs from the float64 reference beyond tolerance\n"
    "  4  health: the server (or --service) is not SERVING\n";

constexpr size_t kLineWidth = 100;

// `text` word-wrapped to kLineWidth, each line starting with `indent`.
void PrintWrapped(std::ostream& out, absl::string_view text, absl::string_view indent) {
  std::string line(indent);
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > indent.size() && line.size() + 1 + word.size() > kLineWidth) {
      out << line << "\n";
      line = std::string(indent);
    }
    if (line.size() > indent.size()) line += ' ';
    absl::StrAppend(&line, word);
  }
  out << line << "\n";
}

void PrintFlags(std::ostream& out, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    out << "  --" << name << " (default: ";
    if (flag->IsOfType<std::string>()) {
      out << "\"" << flag->DefaultValue() << "\"";
    } else {
      out << (flag->DefaultValue().empty() ? "unset" : flag->DefaultValue());
    }
    out << ")\n";
    PrintWrapped(out, flag->Help(), "      ");
  }
}

void PrintCommand(std::ostream& out, const Command& command) {
  for (absl::string_view form : absl::StrSplit(command.synopsis, '\n')) {
    out << "attnctl " << form << "\n";
  }
  out << "  " << absl::StrReplaceAll(command.summary, {{"\n", "\n  "}}) << "\n";
  if (!command.flags.empty()) {
    out << "Flags:\n";
    PrintFlags(out, command.flags);
  }
}

void PrintConnectionFlags(std::ostream& out) {
  out << "Flags of every command:\n";
  PrintFlags(out, kConnectionFlags);
}

}  // namespace

void PrintHelp(std::ostream& out, const std::vector<Command>& commands) {
  out << kOverview << "\nCommands:\n";
  for (const Command& command : commands) {
    out << "  " << command.name
        << std::string(command.name.size() < 12 ? 12 - command.name.size() : 1, ' ')
        << command.brief << "\n";
  }
  out << "\n" << kExitCodes << "\n";
  PrintConnectionFlags(out);
  for (const Command& command : commands) {
    out << "\n";
    PrintCommand(out, command);
  }
}

void PrintCommandHelp(std::ostream& out, const Command& command) {
  PrintCommand(out, command);
  out << "\n";
  PrintConnectionFlags(out);
  out << "\n" << kExitCodes;
}

void PrintShortUsage(std::ostream& out, const std::vector<Command>& commands) {
  std::vector<std::string> names;
  for (const Command& command : commands) names.push_back(command.name);
  out << "usage: attnctl " << absl::StrJoin(names, "|") << " [flags]; attnctl --help for more\n";
}

}  // namespace attnserve::attnctl
