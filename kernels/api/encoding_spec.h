// Position-encoding specifications as the kernels consume them: every default of the API
// already applied (docs/encodings.md gives the meaning of each field). The server's decode
// layer validates a request and fills these; code using the kernels library directly must pass
// values within the ranges of encodings.md. Plain values; thread-safe.
#ifndef ATTNSERVE_KERNELS_API_ENCODING_SPEC_H_
#define ATTNSERVE_KERNELS_API_ENCODING_SPEC_H_

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

namespace attnserve {

struct LinearScaling {
  double factor = 1;
};

struct NtkScaling {
  double alpha = 1;
};

struct DynamicNtkScaling {
  double factor = 1;
  int64_t original_max_position = 1;
};

struct YarnScaling {
  double factor = 1;
  int64_t original_max_position = 1;
  double beta_fast = 32;
  double beta_slow = 1;
  std::optional<double> mscale = std::nullopt;
  std::optional<double> mscale_all_dim = std::nullopt;
  std::optional<double> attention_factor = std::nullopt;
  bool truncate = true;
};

struct Llama3Scaling {
  double factor = 8;
  double low_freq_factor = 1;
  double high_freq_factor = 4;
  int64_t original_max_position = 8192;
};

struct LongRopeScaling {
  std::vector<double> short_factor;  // rotary_dim / 2 values
  std::vector<double> long_factor;   // rotary_dim / 2 values
  int64_t original_max_position = 1;
  std::optional<double> factor = std::nullopt;
  std::optional<double> attention_factor = std::nullopt;
};

// std::monostate is the unscaled ("default") encoding.
using RotaryScaling = std::variant<std::monostate, LinearScaling, NtkScaling, DynamicNtkScaling,
                                   YarnScaling, Llama3Scaling, LongRopeScaling>;

// Name of the scaling as the API and metrics spell it ("default", "linear", "yarn", ...).
const char* ScalingName(const RotaryScaling& scaling);

struct RotarySpec {
  double theta = 10000;
  int rotary_dim = 0;  // rotated dims, even, 2 <= rotary_dim <= head_dim (the API's 0 resolved)
  bool interleaved = false;
  RotaryScaling scaling;
};

struct AlibiSpec {
  std::vector<double> slopes;  // one per query head; empty means computed from max_bias
  double max_bias = 8;
  int64_t training_length = 0;  // 0 means no interpolation
};

}  // namespace attnserve

#endif  // ATTNSERVE_KERNELS_API_ENCODING_SPEC_H_
