#include "client/attnctl/encoding_flags.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/attnctl/command_line.h"
#include "client/attnctl/flag_values.h"

ABSL_FLAG(std::string, rope, "none",
          "Rotary encoding: none, default, linear, ntk, dynamic_ntk, yarn, llama3 or longrope "
          "(the rotary command's default is default).");
ABSL_FLAG(double, rope_theta, 0, "RoPE base theta; 0 means 10000.");
ABSL_FLAG(int32_t, rotary_dim, 0, "Rotated dims (partial rotary); 0 means head_dim.");
ABSL_FLAG(bool, rope_interleaved, false,
          "Pair dims (2i, 2i+1) as GPT-J does, instead of (i, i + d/2) as Llama/NeoX do.");
ABSL_FLAG(double, rope_factor, 0,
          "Scaling factor of linear, dynamic_ntk, yarn, llama3 (0 means 8) and longrope.");
ABSL_FLAG(double, rope_alpha, 0, "NTK alpha (--rope ntk): theta' = theta * alpha^(d/(d-2)).");
ABSL_FLAG(int64_t, rope_original_max_position, 0,
          "Original (training) context length of dynamic_ntk, yarn, llama3 (0 means 8192) and "
          "longrope.");
ABSL_FLAG(double, yarn_beta_fast, 0, "YaRN beta_fast; 0 means 32.");
ABSL_FLAG(double, yarn_beta_slow, 0, "YaRN beta_slow; 0 means 1.");
ABSL_FLAG(double, yarn_mscale, 0, "YaRN mscale; 0 means unset.");
ABSL_FLAG(double, yarn_mscale_all_dim, 0, "YaRN mscale_all_dim; 0 means unset.");
ABSL_FLAG(double, rope_attention_factor, 0,
          "Attention factor of yarn and longrope; 0 means derived from the factor.");
ABSL_FLAG(std::optional<bool>, yarn_truncate, std::nullopt,
          "YaRN ramp truncation, true or false; unset sends no value (the server's true).");
ABSL_FLAG(double, llama3_low_freq_factor, 0, "Llama 3 low_freq_factor; 0 means 1.");
ABSL_FLAG(double, llama3_high_freq_factor, 0, "Llama 3 high_freq_factor; 0 means 4.");
ABSL_FLAG(std::string, longrope_short_factor, "",
          "LongRoPE short factors, rotary_dim/2 comma-separated values, e.g. 1,1.25,1.5,2.");
ABSL_FLAG(std::string, longrope_long_factor, "",
          "LongRoPE long factors, rotary_dim/2 comma-separated values.");
ABSL_FLAG(bool, alibi, false, "Add ALiBi biases (with --rope: hybrid).");
ABSL_FLAG(double, alibi_max_bias, 0, "ALiBi max bias B of the computed slopes; 0 means 8.");
ABSL_FLAG(std::string, alibi_slopes, "",
          "Explicit ALiBi slopes, one per query head, comma-separated (instead of max_bias).");
ABSL_FLAG(int64_t, alibi_training_length, 0,
          "ALiBi interpolation: slopes scaled by training_length / L beyond it; 0 means off.");

namespace attnserve::attnctl {
namespace {

constexpr const char* kRopeTypes[] = {"none",        "default", "linear", "ntk",
                                      "dynamic_ntk", "yarn",    "llama3", "longrope"};

// Each rotary flag and the --rope types it belongs to ("*" = every type but none).
struct RotaryFlagRule {
  const char* flag;
  std::vector<std::string> rope_types;
};

const std::vector<RotaryFlagRule>& RotaryFlagRules() {
  static const auto* rules = new std::vector<RotaryFlagRule>{
      {"rope_theta", {"*"}},
      {"rotary_dim", {"*"}},
      {"rope_interleaved", {"*"}},
      {"rope_factor", {"linear", "dynamic_ntk", "yarn", "llama3", "longrope"}},
      {"rope_alpha", {"ntk"}},
      {"rope_original_max_position", {"dynamic_ntk", "yarn", "llama3", "longrope"}},
      {"yarn_beta_fast", {"yarn"}},
      {"yarn_beta_slow", {"yarn"}},
      {"yarn_mscale", {"yarn"}},
      {"yarn_mscale_all_dim", {"yarn"}},
      {"yarn_truncate", {"yarn"}},
      {"rope_attention_factor", {"yarn", "longrope"}},
      {"llama3_low_freq_factor", {"llama3"}},
      {"llama3_high_freq_factor", {"llama3"}},
      {"longrope_short_factor", {"longrope"}},
      {"longrope_long_factor", {"longrope"}},
  };
  return *rules;
}

absl::Status CheckRotaryFlagsApply(const std::string& rope) {
  for (const RotaryFlagRule& rule : RotaryFlagRules()) {
    if (!FlagGiven(rule.flag)) continue;
    const bool applies =
        rope != "none" &&
        (rule.rope_types[0] == "*" ||
         std::find(rule.rope_types.begin(), rule.rope_types.end(), rope) != rule.rope_types.end());
    if (!applies) {
      const std::string types =
          rule.rope_types[0] == "*" ? "any type but none" : absl::StrJoin(rule.rope_types, ", ");
      return absl::InvalidArgumentError(absl::StrCat("--", rule.flag, " does not apply to --rope ",
                                                     rope, " (it applies to ", types, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status SetLongRopeFactors(v1::LongRopeScaling& longrope) {
  absl::StatusOr<std::vector<double>> short_factor =
      ParseDoubleList(absl::GetFlag(FLAGS_longrope_short_factor), "longrope_short_factor");
  if (!short_factor.ok()) return short_factor.status();
  absl::StatusOr<std::vector<double>> long_factor =
      ParseDoubleList(absl::GetFlag(FLAGS_longrope_long_factor), "longrope_long_factor");
  if (!long_factor.ok()) return long_factor.status();
  longrope.mutable_short_factor()->Add(short_factor->begin(), short_factor->end());
  longrope.mutable_long_factor()->Add(long_factor->begin(), long_factor->end());
  return absl::OkStatus();
}

// Fills the scaling message of `rope` (not none or default) from the flags.
absl::Status SetScaling(const std::string& rope, v1::RotaryEncoding& rotary) {
  const double factor = absl::GetFlag(FLAGS_rope_factor);
  const int64_t original = absl::GetFlag(FLAGS_rope_original_max_position);
  if (rope == "linear") {
    rotary.mutable_linear()->set_factor(factor);
  } else if (rope == "ntk") {
    rotary.mutable_ntk()->set_alpha(absl::GetFlag(FLAGS_rope_alpha));
  } else if (rope == "dynamic_ntk") {
    v1::DynamicNtkScaling& dynamic = *rotary.mutable_dynamic_ntk();
    dynamic.set_factor(factor);
    dynamic.set_original_max_position(original);
  } else if (rope == "yarn") {
    v1::YarnScaling& yarn = *rotary.mutable_yarn();
    yarn.set_factor(factor);
    yarn.set_original_max_position(original);
    yarn.set_beta_fast(absl::GetFlag(FLAGS_yarn_beta_fast));
    yarn.set_beta_slow(absl::GetFlag(FLAGS_yarn_beta_slow));
    yarn.set_mscale(absl::GetFlag(FLAGS_yarn_mscale));
    yarn.set_mscale_all_dim(absl::GetFlag(FLAGS_yarn_mscale_all_dim));
    yarn.set_attention_factor(absl::GetFlag(FLAGS_rope_attention_factor));
    if (const std::optional<bool> truncate = absl::GetFlag(FLAGS_yarn_truncate); truncate) {
      yarn.set_truncate(*truncate);
    }
  } else if (rope == "llama3") {
    v1::Llama3Scaling& llama3 = *rotary.mutable_llama3();
    llama3.set_factor(factor);
    llama3.set_low_freq_factor(absl::GetFlag(FLAGS_llama3_low_freq_factor));
    llama3.set_high_freq_factor(absl::GetFlag(FLAGS_llama3_high_freq_factor));
    llama3.set_original_max_position(original);
  } else if (rope == "longrope") {
    v1::LongRopeScaling& longrope = *rotary.mutable_longrope();
    if (absl::Status status = SetLongRopeFactors(longrope); !status.ok()) return status;
    longrope.set_original_max_position(original);
    longrope.set_factor(factor);
    longrope.set_attention_factor(absl::GetFlag(FLAGS_rope_attention_factor));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> RotaryFlagNames() {
  std::vector<std::string> names = {"rope"};
  for (const RotaryFlagRule& rule : RotaryFlagRules()) names.emplace_back(rule.flag);
  return names;
}

std::vector<std::string> AlibiFlagNames() {
  return {"alibi", "alibi_max_bias", "alibi_slopes", "alibi_training_length"};
}

absl::StatusOr<std::optional<v1::RotaryEncoding>> RotaryFromFlags(const std::string& unset_type) {
  const std::string rope = FlagGiven("rope") ? absl::GetFlag(FLAGS_rope) : unset_type;
  if (std::find(std::begin(kRopeTypes), std::end(kRopeTypes), rope) == std::end(kRopeTypes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rope=", rope, ": expected one of ", absl::StrJoin(kRopeTypes, ", ")));
  }
  if (absl::Status status = CheckRotaryFlagsApply(rope); !status.ok()) return status;
  if (rope == "none") return std::nullopt;
  v1::RotaryEncoding rotary;
  rotary.set_theta(absl::GetFlag(FLAGS_rope_theta));
  rotary.set_rotary_dim(absl::GetFlag(FLAGS_rotary_dim));
  rotary.set_interleaved(absl::GetFlag(FLAGS_rope_interleaved));
  if (absl::Status status = SetScaling(rope, rotary); !status.ok()) return status;
  return rotary;
}

absl::StatusOr<std::optional<v1::AlibiEncoding>> AlibiFromFlags() {
  if (!absl::GetFlag(FLAGS_alibi)) {
    for (const std::string& flag : AlibiFlagNames()) {
      if (flag != "alibi" && FlagGiven(flag)) {
        return absl::InvalidArgumentError(absl::StrCat("--", flag, " needs --alibi"));
      }
    }
    return std::nullopt;
  }
  absl::StatusOr<std::vector<double>> slopes =
      ParseDoubleList(absl::GetFlag(FLAGS_alibi_slopes), "alibi_slopes");
  if (!slopes.ok()) return slopes.status();
  v1::AlibiEncoding alibi;
  for (double slope : *slopes) alibi.add_slopes(static_cast<float>(slope));
  alibi.set_max_bias(absl::GetFlag(FLAGS_alibi_max_bias));
  alibi.set_training_length(absl::GetFlag(FLAGS_alibi_training_length));
  return alibi;
}

absl::StatusOr<v1::PositionEncoding> PositionEncodingFromFlags() {
  absl::StatusOr<std::optional<v1::RotaryEncoding>> rotary = RotaryFromFlags("none");
  if (!rotary.ok()) return rotary.status();
  absl::StatusOr<std::optional<v1::AlibiEncoding>> alibi = AlibiFromFlags();
  if (!alibi.ok()) return alibi.status();
  v1::PositionEncoding encoding;
  if (*rotary) *encoding.mutable_rotary() = std::move(**rotary);
  if (*alibi) *encoding.mutable_alibi() = std::move(**alibi);
  return encoding;
}

}  // namespace attnserve::attnctl
