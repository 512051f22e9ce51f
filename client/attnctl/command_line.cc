#include "client/attnctl/command_line.h"

#include <algorithm>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace attnserve::attnctl {
namespace {

std::vector<std::string>& GivenFlags() {
  static auto* given = new std::vector<std::string>();
  return *given;
}

// Flags whose value may be left out, and what a bare one means: `attention --verify` and
// `bench --verify 10` both read naturally.
const char* BareValue(absl::string_view flag_name) { return flag_name == "verify" ? "1" : nullptr; }

// --max-error-rate names the flag max_error_rate: dashes and underscores are the same.
std::string FlagName(absl::string_view written) {
  std::string name(written);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

bool IsHelpFlag(absl::string_view name) {
  return name == "help" || name == "helpfull" || name == "helpshort" || name == "h";
}

// The flag `name` sets, and the value a bare bool flag means; --noname is bool `name` = false.
struct FlagLookup {
  absl::CommandLineFlag* flag = nullptr;
  const char* bare_value = "true";
};

FlagLookup LookUp(absl::string_view name) {
  if (absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name); flag != nullptr) {
    return {flag, "true"};
  }
  if (absl::ConsumePrefix(&name, "no")) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag != nullptr && flag->IsOfType<bool>()) return {flag, "false"};
  }
  return {};
}

}  // namespace

absl::StatusOr<CommandLine> CheckCommandLine(int argc, char** argv) {
  CommandLine line;
  GivenFlags().clear();
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) line.positional.emplace_back(argv[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      line.positional.emplace_back(arg);
      continue;
    }
    absl::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    const size_t equals = body.find('=');
    const std::string name = FlagName(body.substr(0, equals));
    const bool has_value = equals != absl::string_view::npos;
    if (IsHelpFlag(name)) {
      line.help = true;
      continue;
    }
    const FlagLookup lookup = LookUp(name);
    if (lookup.flag == nullptr || lookup.flag->IsRetired()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    const absl::string_view flag_name = lookup.flag->Name();
    std::string value;
    if (lookup.flag->IsOfType<bool>()) {
      if (has_value && lookup.bare_value[0] == 'f') {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      value = has_value ? std::string(body.substr(equals + 1)) : lookup.bare_value;
    } else if (has_value) {
      value = std::string(body.substr(equals + 1));
    } else if (const char* bare = BareValue(flag_name);
               bare != nullptr && (i + 1 == argc || argv[i + 1][0] == '-')) {
      value = std::string(bare);  // (GCC 12 -O3 misreports -Wrestrict on `value = bare`)
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", flag_name, " needs a value"));
    }
    std::string error;
    if (!lookup.flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value for --", flag_name, "=\"", value, "\": ", error));
    }
    line.flags.emplace_back(flag_name);
  }
  GivenFlags() = line.flags;
  return line;
}

bool FlagGiven(absl::string_view name) {
  const std::vector<std::string>& given = GivenFlags();
  return std::find(given.begin(), given.end(), name) != given.end();
}

}  // namespace attnserve::attnctl
