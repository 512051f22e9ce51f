#include "kernels/encoding/rotary_frequencies.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <variant>

#include "kernels/math/rotary_pair.h"

namespace attnserve {
namespace {

// omega_i = base^(-2i/d).
std::vector<double> BaseInverseFrequencies(double base, int rotary_dim) {
  std::vector<double> inv_freq(rotary_dim / 2);
  for (int i = 0; i < rotary_dim / 2; ++i) {
    inv_freq[i] = std::pow(base, -2.0 * i / rotary_dim);
  }
  return inv_freq;
}

// The NTK base change shared by ntk and dynamic_ntk: theta * ratio^(d / (d - 2)).
double NtkBase(double theta, double ratio, int rotary_dim) {
  return theta * std::pow(ratio, static_cast<double>(rotary_dim) / (rotary_dim - 2));
}

// YaRN's m(s, c): 1 for s <= 1, else 1 + 0.1 c ln s.
double YarnMscale(double scale, double coefficient) {
  return scale <= 1 ? 1.0 : 1.0 + 0.1 * coefficient * std::log(scale);
}

// Builds the frequencies of one scaling; each overload is one paragraph of encodings.md.
class FrequencyBuilder {
 public:
  FrequencyBuilder(const RotarySpec& spec, int64_t request_length)
      : theta_(spec.theta), rotary_dim_(spec.rotary_dim), request_length_(request_length) {}

  RotaryFrequencies operator()(const std::monostate&) const {
    return {BaseInverseFrequencies(theta_, rotary_dim_)};
  }

  RotaryFrequencies operator()(const LinearScaling& linear) const {
    std::vector<double> inv_freq = BaseInverseFrequencies(theta_, rotary_dim_);
    for (double& w : inv_freq) w /= linear.factor;
    return {inv_freq};
  }

  RotaryFrequencies operator()(const NtkScaling& ntk) const {
    return {BaseInverseFrequencies(NtkBase(theta_, ntk.alpha, rotary_dim_), rotary_dim_)};
  }

  RotaryFrequencies operator()(const DynamicNtkScaling& dynamic) const {
    const double original = static_cast<double>(dynamic.original_max_position);
    const double length = std::max(static_cast<double>(request_length_), original);
    const double ratio = dynamic.factor * length / original - (dynamic.factor - 1);
    return {BaseInverseFrequencies(NtkBase(theta_, ratio, rotary_dim_), rotary_dim_)};
  }

  RotaryFrequencies operator()(const YarnScaling& yarn) const {
    const double d = rotary_dim_;
    const double original = static_cast<double>(yarn.original_max_position);
    // The (fractional) pair index whose wavelength turns `rotations` times over L0.
    auto correction_dim = [&](double rotations) {
      return d * std::log(original / (2 * std::numbers::pi * rotations)) / (2 * std::log(theta_));
    };
    double low = correction_dim(yarn.beta_fast);
    double high = correction_dim(yarn.beta_slow);
    if (yarn.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, d - 1);  // d - 1, not d/2 - 1: upstream's clamp, kept on purpose
    if (low == high) high += 0.001;

    std::vector<double> inv_freq = BaseInverseFrequencies(theta_, rotary_dim_);
    for (int i = 0; i < rotary_dim_ / 2; ++i) {
      const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
      inv_freq[i] = (1 - ramp) * inv_freq[i] + ramp * inv_freq[i] / yarn.factor;
    }
    double factor;
    if (yarn.attention_factor) {
      factor = *yarn.attention_factor;
    } else if (yarn.mscale && yarn.mscale_all_dim) {
      factor =
          YarnMscale(yarn.factor, *yarn.mscale) / YarnMscale(yarn.factor, *yarn.mscale_all_dim);
    } else {
      factor = YarnMscale(yarn.factor, 1);
    }
    return {inv_freq, factor};
  }

  RotaryFrequencies operator()(const Llama3Scaling& llama3) const {
    const double original = static_cast<double>(llama3.original_max_position);
    const double high_freq_wavelength = original / llama3.high_freq_factor;
    const double low_freq_wavelength = original / llama3.low_freq_factor;
    std::vector<double> inv_freq = BaseInverseFrequencies(theta_, rotary_dim_);
    for (double& w : inv_freq) {
      const double wavelength = 2 * std::numbers::pi / w;
      if (wavelength < high_freq_wavelength) continue;
      if (wavelength > low_freq_wavelength) {
        w /= llama3.factor;
        continue;
      }
      const double smooth = (original / wavelength - llama3.low_freq_factor) /
                            (llama3.high_freq_factor - llama3.low_freq_factor);
      w = (1 - smooth) * w / llama3.factor + smooth * w;
    }
    return {inv_freq};
  }

  RotaryFrequencies operator()(const LongRopeScaling& longrope) const {
    const bool is_long = request_length_ > longrope.original_max_position;
    const std::vector<double>& extension = is_long ? longrope.long_factor : longrope.short_factor;
    std::vector<double> inv_freq = BaseInverseFrequencies(theta_, rotary_dim_);
    for (int i = 0; i < rotary_dim_ / 2; ++i) inv_freq[i] /= extension[i];
    double factor = 1;
    if (longrope.attention_factor) {
      factor = *longrope.attention_factor;
    } else if (*longrope.factor > 1) {
      factor = std::sqrt(1 + std::log(*longrope.factor) /
                                 std::log(static_cast<double>(longrope.original_max_position)));
    }
    return {inv_freq, factor};
  }

 private:
  double theta_;
  int rotary_dim_;
  int64_t request_length_;
};

}  // namespace

RotaryFrequencies ComputeRotaryFrequencies(const RotarySpec& spec, int64_t request_length) {
  RotaryFrequencies frequencies = std::visit(FrequencyBuilder(spec, request_length), spec.scaling);
  frequencies.rotary_dim = spec.rotary_dim;
  frequencies.interleaved = spec.interleaved;
  return frequencies;
}

void ComputeRotaryRow(const RotaryFrequencies& frequencies, int64_t position, double* cos_out,
                      double* sin_out) {
  for (size_t i = 0; i < frequencies.inv_freq.size(); ++i) {
    const CosSin value =
        RotaryCosSin(position, frequencies.inv_freq[i], frequencies.attention_factor);
    cos_out[i] = value.cos;
    sin_out[i] = value.sin;
  }
}

}  // namespace attnserve
