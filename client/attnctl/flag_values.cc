#include "client/attnctl/flag_values.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace attnserve::attnctl {
namespace {

template <typename T, typename Parse>
absl::StatusOr<std::vector<T>> ParseList(absl::string_view text, absl::string_view flag,
                                         absl::string_view expected, Parse parse) {
  std::vector<T> values;
  if (absl::StripAsciiWhitespace(text).empty()) return values;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    T value;
    if (!parse(absl::StripAsciiWhitespace(item), &value)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", text, ": \"", item,
                                                     "\" is not ", expected,
                                                     " (expected a comma-separated list)"));
    }
    values.push_back(value);
  }
  return values;
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> ParseInt64List(absl::string_view text,
                                                    absl::string_view flag) {
  return ParseList<int64_t>(text, flag, "an integer", [](absl::string_view item, int64_t* value) {
    return absl::SimpleAtoi(item, value);
  });
}

absl::StatusOr<std::vector<double>> ParseDoubleList(absl::string_view text,
                                                    absl::string_view flag) {
  return ParseList<double>(text, flag, "a number", [](absl::string_view item, double* value) {
    return absl::SimpleAtod(item, value);
  });
}

absl::StatusOr<std::optional<DataType>> ParseDataType(absl::string_view text,
                                                      absl::string_view flag, bool allow_empty) {
  if (text.empty() && allow_empty) return std::nullopt;
  for (DataType dtype : kAllDataTypes) {
    if (text == ToString(dtype)) return dtype;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, "=", text, ": expected float32, float16 or bfloat16"));
}

}  // namespace attnserve::attnctl
