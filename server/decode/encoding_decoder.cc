#include "server/decode/encoding_decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "kernels/encoding/rotary_frequencies.h"
#include "kernels/util/status_macros.h"
#include "server/decode/field_checks.h"

namespace attnserve {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, rule));
}

// A "0 means default" double: negative is invalid, 0 becomes `default_value`.
absl::StatusOr<double> WithDefault(double value, double default_value, absl::string_view field) {
  ATTN_RETURN_IF_ERROR(CheckNonNegative(value, field, absl::StrCat(default_value)));
  return value == 0 ? default_value : value;
}

// A "0 means unset" double: negative is invalid, 0 becomes nullopt.
absl::StatusOr<std::optional<double>> Optional(double value, absl::string_view field,
                                               absl::string_view zero_means = "unset") {
  ATTN_RETURN_IF_ERROR(CheckNonNegative(value, field, zero_means));
  return value == 0 ? std::nullopt : std::optional<double>(value);
}

absl::Status CheckOriginalMaxPosition(int64_t value, absl::string_view field) {
  if (value > 0) return absl::OkStatus();
  return Invalid(field, absl::StrCat("=", value, " must be > 0"));
}

absl::StatusOr<DynamicNtkScaling> DecodeDynamicNtk(const v1::DynamicNtkScaling& proto,
                                                   const std::string& field) {
  ATTN_RETURN_IF_ERROR(CheckPositive(proto.factor(), field + ".factor"));
  ATTN_RETURN_IF_ERROR(
      CheckOriginalMaxPosition(proto.original_max_position(), field + ".original_max_position"));
  return DynamicNtkScaling{proto.factor(), proto.original_max_position()};
}

absl::StatusOr<YarnScaling> DecodeYarn(const v1::YarnScaling& proto, const std::string& field) {
  YarnScaling yarn;
  ATTN_RETURN_IF_ERROR(CheckPositive(proto.factor(), field + ".factor"));
  yarn.factor = proto.factor();
  ATTN_RETURN_IF_ERROR(
      CheckOriginalMaxPosition(proto.original_max_position(), field + ".original_max_position"));
  yarn.original_max_position = proto.original_max_position();
  absl::StatusOr<double> beta_fast = WithDefault(proto.beta_fast(), 32, field + ".beta_fast");
  if (!beta_fast.ok()) return beta_fast.status();
  absl::StatusOr<double> beta_slow = WithDefault(proto.beta_slow(), 1, field + ".beta_slow");
  if (!beta_slow.ok()) return beta_slow.status();
  if (!(*beta_fast > *beta_slow)) {
    return Invalid(field, absl::StrCat(".beta_fast=", *beta_fast,
                                       " must be > beta_slow=", *beta_slow, " (0 means 32 and 1)"));
  }
  yarn.beta_fast = *beta_fast;
  yarn.beta_slow = *beta_slow;
  absl::StatusOr<std::optional<double>> mscale = Optional(proto.mscale(), field + ".mscale");
  if (!mscale.ok()) return mscale.status();
  absl::StatusOr<std::optional<double>> mscale_all_dim =
      Optional(proto.mscale_all_dim(), field + ".mscale_all_dim");
  if (!mscale_all_dim.ok()) return mscale_all_dim.status();
  absl::StatusOr<std::optional<double>> attention_factor =
      Optional(proto.attention_factor(), field + ".attention_factor", "derived");
  if (!attention_factor.ok()) return attention_factor.status();
  yarn.mscale = *mscale;
  yarn.mscale_all_dim = *mscale_all_dim;
  yarn.attention_factor = *attention_factor;
  yarn.truncate = !proto.has_truncate() || proto.truncate();
  return yarn;
}

absl::StatusOr<Llama3Scaling> DecodeLlama3(const v1::Llama3Scaling& proto,
                                           const std::string& field) {
  Llama3Scaling llama3;
  absl::StatusOr<double> factor = WithDefault(proto.factor(), 8, field + ".factor");
  if (!factor.ok()) return factor.status();
  absl::StatusOr<double> low = WithDefault(proto.low_freq_factor(), 1, field + ".low_freq_factor");
  if (!low.ok()) return low.status();
  absl::StatusOr<double> high =
      WithDefault(proto.high_freq_factor(), 4, field + ".high_freq_factor");
  if (!high.ok()) return high.status();
  if (!(*high > *low)) {
    return Invalid(field, absl::StrCat(".high_freq_factor=", *high,
                                       " must be > low_freq_factor=", *low, " (0 means 4 and 1)"));
  }
  ATTN_RETURN_IF_ERROR(
      CheckNonNegative(proto.original_max_position(), field + ".original_max_position", "8192"));
  llama3.factor = *factor;
  llama3.low_freq_factor = *low;
  llama3.high_freq_factor = *high;
  if (proto.original_max_position() != 0) {
    llama3.original_max_position = proto.original_max_position();
  }
  return llama3;
}

absl::StatusOr<std::vector<double>> DecodeFactorList(
    const google::protobuf::RepeatedField<double>& values, int rotary_dim,
    const std::string& field) {
  if (values.size() != rotary_dim / 2) {
    return Invalid(field, absl::StrCat(" has ", values.size(),
                                       " values, must have rotary_dim/2=", rotary_dim / 2));
  }
  for (int i = 0; i < values.size(); ++i) {
    ATTN_RETURN_IF_ERROR(CheckPositive(values[i], absl::StrCat(field, "[", i, "]")));
  }
  return std::vector<double>(values.begin(), values.end());
}

absl::StatusOr<LongRopeScaling> DecodeLongRope(const v1::LongRopeScaling& proto, int rotary_dim,
                                               const std::string& field) {
  LongRopeScaling longrope;
  absl::StatusOr<std::vector<double>> short_factor =
      DecodeFactorList(proto.short_factor(), rotary_dim, field + ".short_factor");
  if (!short_factor.ok()) return short_factor.status();
  absl::StatusOr<std::vector<double>> long_factor =
      DecodeFactorList(proto.long_factor(), rotary_dim, field + ".long_factor");
  if (!long_factor.ok()) return long_factor.status();
  ATTN_RETURN_IF_ERROR(
      CheckOriginalMaxPosition(proto.original_max_position(), field + ".original_max_position"));
  absl::StatusOr<std::optional<double>> attention_factor =
      Optional(proto.attention_factor(), field + ".attention_factor", "derived");
  if (!attention_factor.ok()) return attention_factor.status();
  if (*attention_factor) {
    absl::StatusOr<std::optional<double>> factor = Optional(proto.factor(), field + ".factor");
    if (!factor.ok()) return factor.status();
    longrope.factor = *factor;
  } else {
    if (!(proto.factor() > 0 && std::isfinite(proto.factor()))) {
      return Invalid(field, absl::StrCat(".factor=", proto.factor(),
                                         " must be finite and > 0 unless attention_factor is set"));
    }
    if (proto.factor() > 1 && proto.original_max_position() < 2) {
      return Invalid(field, absl::StrCat(".original_max_position=", proto.original_max_position(),
                                         " must be >= 2 to derive the attention factor"));
    }
    longrope.factor = proto.factor();
  }
  longrope.short_factor = std::move(*short_factor);
  longrope.long_factor = std::move(*long_factor);
  longrope.original_max_position = proto.original_max_position();
  longrope.attention_factor = *attention_factor;
  return longrope;
}

absl::StatusOr<int> DecodeRotaryDim(const v1::RotaryEncoding& rotary, int64_t head_dim,
                                    const std::string& field) {
  const int64_t rotary_dim = rotary.rotary_dim() == 0 ? head_dim : rotary.rotary_dim();
  const std::string shown = rotary.rotary_dim() == 0
                                ? absl::StrCat(".rotary_dim=0 (meaning head_dim=", head_dim, ")")
                                : absl::StrCat(".rotary_dim=", rotary_dim);
  if (rotary_dim < 2 || rotary_dim > head_dim) {
    return Invalid(field, absl::StrCat(shown, " must be in [2, head_dim=", head_dim, "]"));
  }
  if (rotary_dim % 2 != 0) return Invalid(field, absl::StrCat(shown, " must be even"));
  const bool ntk_family = rotary.scaling_case() == v1::RotaryEncoding::kNtk ||
                          rotary.scaling_case() == v1::RotaryEncoding::kDynamicNtk;
  if (ntk_family && rotary_dim < 4) {
    return Invalid(field, absl::StrCat(shown, " must be >= 4 for ntk and dynamic_ntk scaling"));
  }
  return static_cast<int>(rotary_dim);
}

absl::StatusOr<RotaryScaling> DecodeScaling(const v1::RotaryEncoding& rotary, int rotary_dim,
                                            const std::string& field) {
  switch (rotary.scaling_case()) {
    case v1::RotaryEncoding::SCALING_NOT_SET:
      return RotaryScaling{};
    case v1::RotaryEncoding::kLinear:
      ATTN_RETURN_IF_ERROR(CheckPositive(rotary.linear().factor(), field + ".linear.factor"));
      return RotaryScaling{LinearScaling{rotary.linear().factor()}};
    case v1::RotaryEncoding::kNtk:
      ATTN_RETURN_IF_ERROR(CheckPositive(rotary.ntk().alpha(), field + ".ntk.alpha"));
      return RotaryScaling{NtkScaling{rotary.ntk().alpha()}};
    case v1::RotaryEncoding::kDynamicNtk: {
      absl::StatusOr<DynamicNtkScaling> scaling =
          DecodeDynamicNtk(rotary.dynamic_ntk(), field + ".dynamic_ntk");
      if (!scaling.ok()) return scaling.status();
      return RotaryScaling{*scaling};
    }
    case v1::RotaryEncoding::kYarn: {
      absl::StatusOr<YarnScaling> scaling = DecodeYarn(rotary.yarn(), field + ".yarn");
      if (!scaling.ok()) return scaling.status();
      return RotaryScaling{*scaling};
    }
    case v1::RotaryEncoding::kLlama3: {
      absl::StatusOr<Llama3Scaling> scaling = DecodeLlama3(rotary.llama3(), field + ".llama3");
      if (!scaling.ok()) return scaling.status();
      return RotaryScaling{*scaling};
    }
    case v1::RotaryEncoding::kLongrope: {
      absl::StatusOr<LongRopeScaling> scaling =
          DecodeLongRope(rotary.longrope(), rotary_dim, field + ".longrope");
      if (!scaling.ok()) return scaling.status();
      return RotaryScaling{std::move(*scaling)};
    }
  }
  return Invalid(field, ".scaling is of an unknown kind");
}

}  // namespace

absl::StatusOr<RotarySpec> DecodeRotary(const v1::RotaryEncoding& rotary, int64_t head_dim,
                                        absl::string_view field_view) {
  const std::string field(field_view);
  RotarySpec spec;
  absl::StatusOr<double> theta = DecodeTheta(rotary.theta(), field + ".theta");
  if (!theta.ok()) return theta.status();
  spec.theta = *theta;
  absl::StatusOr<int> rotary_dim = DecodeRotaryDim(rotary, head_dim, field);
  if (!rotary_dim.ok()) return rotary_dim.status();
  spec.rotary_dim = *rotary_dim;
  spec.interleaved = rotary.interleaved();
  absl::StatusOr<RotaryScaling> scaling = DecodeScaling(rotary, spec.rotary_dim, field);
  if (!scaling.ok()) return scaling.status();
  spec.scaling = std::move(*scaling);
  return spec;
}

absl::Status CheckRotaryIsFinite(const RotarySpec& spec, int64_t request_length,
                                 absl::string_view field) {
  const RotaryFrequencies frequencies = ComputeRotaryFrequencies(spec, request_length);
  const std::string scaling = absl::StrCat(field, ".", ScalingName(spec.scaling));
  // The largest angle of pair i is (L - 1) * inv_freq[i]; cos and sin of inf are NaN.
  const double last_position = static_cast<double>(std::max<int64_t>(request_length - 1, 1));
  for (size_t i = 0; i < frequencies.inv_freq.size(); ++i) {
    if (!std::isfinite(last_position * frequencies.inv_freq[i])) {
      return Invalid(scaling,
                     absl::StrCat(" gives inverse frequency ", i, " = ", frequencies.inv_freq[i],
                                  ", whose angle overflows by "
                                  "position ",
                                  last_position, ": its values are out of range"));
    }
  }
  // Backends multiply in float32: a factor beyond its range turns every rotated value into inf.
  if (!(frequencies.attention_factor <= std::numeric_limits<float>::max())) {
    return Invalid(scaling, absl::StrCat(" gives attention factor ", frequencies.attention_factor,
                                         ", beyond float32: its values are out of range"));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> DecodeTheta(double theta, absl::string_view field) {
  if (theta == 0) return 10000.0;
  if (theta > 1 && std::isfinite(theta)) return theta;
  return Invalid(field, absl::StrCat("=", theta, " must be finite and > 1 (0 means 10000)"));
}

absl::StatusOr<double> DecodeMaxBias(double max_bias, absl::string_view field) {
  return WithDefault(max_bias, 8, field);
}

absl::StatusOr<AlibiSpec> DecodeAlibi(const v1::AlibiEncoding& alibi, int64_t num_heads,
                                      absl::string_view field_view) {
  const std::string field(field_view);
  AlibiSpec spec;
  if (alibi.slopes_size() > 0) {
    if (alibi.slopes_size() != num_heads) {
      return Invalid(field,
                     absl::StrCat(".slopes has ", alibi.slopes_size(),
                                  " values, must have one per query head (", num_heads, ")"));
    }
    for (int h = 0; h < alibi.slopes_size(); ++h) {
      ATTN_RETURN_IF_ERROR(CheckNonNegative(static_cast<double>(alibi.slopes(h)),
                                            absl::StrCat(field, ".slopes[", h, "]"), "no bias"));
    }
    if (alibi.max_bias() != 0) {
      return Invalid(
          field, absl::StrCat(".max_bias=", alibi.max_bias(), " must be 0 when slopes are given"));
    }
    spec.slopes.assign(alibi.slopes().begin(), alibi.slopes().end());
  } else {
    absl::StatusOr<double> max_bias = DecodeMaxBias(alibi.max_bias(), field + ".max_bias");
    if (!max_bias.ok()) return max_bias.status();
    spec.max_bias = *max_bias;
  }
  ATTN_RETURN_IF_ERROR(
      CheckNonNegative(alibi.training_length(), field + ".training_length", "off"));
  spec.training_length = alibi.training_length();
  return spec;
}

}  // namespace attnserve
