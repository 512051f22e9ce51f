// Numerics through the gRPC API: for every encoding variant of docs/encodings.md, every dtype
// and two mask settings, both backends' responses against the float64 reference computed
// locally from the same request; and the worked attention values of encodings.md section 6.
#include <cmath>
#include <string>
#include <vector>

#include "client/cpp/tensors.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "kernels/numeric/accuracy.h"
#include "kernels/reference/reference_attention.h"
#include "server/decode/attention_decoder.h"
#include "tests/server/live_server.h"
#include "tests/support/invalid_requests.h"

namespace attnserve {
namespace {

struct Variant {
  std::string name;
  std::string encoding;  // v1.PositionEncoding in text format
};

std::vector<Variant> Variants() {
  return {
      {"none", ""},
      {"default", "rotary {}"},
      {"default_interleaved", "rotary { theta: 500000 interleaved: true }"},
      {"partial_rotary", "rotary { rotary_dim: 8 }"},
      {"linear", "rotary { linear { factor: 4 } }"},
      {"ntk", "rotary { ntk { alpha: 4 } }"},
      {"dynamic_ntk", "rotary { dynamic_ntk { factor: 2 original_max_position: 4096 } }"},
      {"yarn", "rotary { yarn { factor: 4 original_max_position: 4096 } }"},
      {"yarn_deepseek",
       "rotary { yarn { factor: 40 original_max_position: 4096 mscale: 0.707 "
       "mscale_all_dim: 0.707 } }"},
      {"yarn_gptoss",
       "rotary { theta: 150000 yarn { factor: 32 original_max_position: 4096 truncate: false } }"},
      {"llama3", "rotary { theta: 500000 llama3 {} }"},
      {"longrope",
       "rotary { longrope { short_factor: [1, 1.1, 1.25, 1.5, 2, 3, 5, 8] "
       "long_factor: [1, 2, 3, 4, 6, 8, 16, 24] original_max_position: 4096 factor: 32 } }"},
      {"alibi", "alibi {}"},
      {"alibi_max_bias_4", "alibi { max_bias: 4 }"},
      {"alibi_slopes_interpolated", "alibi { slopes: [0.5, 0.25, 0.7, 0] training_length: 1024 }"},
      {"hybrid_yarn_alibi",
       "rotary { interleaved: true yarn { factor: 8 original_max_position: 2048 } } alibi {}"},
  };
}

// batch 2, q_len 5, kv_len 9, heads 4, kv_heads 2, head_dim 16; random inputs of `dtype`.
v1::AttentionRequest MakeRequest(const Variant& variant, DataType dtype, bool causal_with_offsets) {
  v1::AttentionRequest request;
  const std::vector<std::vector<int64_t>> shapes = {{2, 5, 4, 16}, {2, 9, 2, 16}, {2, 9, 2, 16}};
  v1::Tensor* tensors[] = {request.mutable_query(), request.mutable_key(), request.mutable_value()};
  for (int t = 0; t < 3; ++t) {
    const v1::Tensor random = testing::RandomTensor(shapes[t], 100 + t);
    *tensors[t] = MakeTensor(dtype, shapes[t], *TensorValues(random));
  }
  EXPECT_TRUE(
      google::protobuf::TextFormat::ParseFromString(variant.encoding, request.mutable_encoding()));
  if (causal_with_offsets) {
    request.set_causal(true);
    request.set_window(6);
    for (int64_t offset : {70000, 3}) request.add_position_offsets(offset);
    for (int64_t length : {9, 7}) request.add_kv_lengths(length);
  }
  request.set_return_lse(true);
  request.set_return_probabilities(true);
  return request;
}

void ExpectResponseMatchesReference(const v1::AttentionRequest& request,
                                    const v1::AttentionResponse& response, double tolerance) {
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, RequestLimits{});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const ReferenceAttentionResult expected = ComputeReferenceAttention(decoded->problem, true);
  const auto as_doubles = [](const v1::Tensor& tensor) {
    const std::vector<float> values = *TensorValues(tensor);
    return std::vector<double>(values.begin(), values.end());
  };
  EXPECT_LT(RelativeL2Error(as_doubles(response.output()), expected.output), tolerance);
  EXPECT_LT(RelativeL2Error(as_doubles(response.lse()), expected.lse), kFloat32Tolerance);
  EXPECT_LT(RelativeL2Error(as_doubles(response.probabilities()), expected.probabilities),
            kFloat32Tolerance);
}

class ApiNumerics
    : public testing::WithLiveServer<::testing::TestWithParam<std::tuple<Variant, std::string>>> {};

TEST_P(ApiNumerics, EveryDtypeAndMaskMatchesTheFloat64Reference) {
  const auto& [variant, backend] = GetParam();
  AttnClient client = Client();
  for (DataType dtype : kAllDataTypes) {
    for (bool causal_with_offsets : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << ToString(dtype) << " causal_with_offsets=" << causal_with_offsets);
      v1::AttentionRequest request = MakeRequest(variant, dtype, causal_with_offsets);
      request.set_backend(backend);
      absl::StatusOr<v1::AttentionResponse> response = client.ComputeAttention(request);
      ASSERT_TRUE(response.ok()) << response.status();
      ExpectResponseMatchesReference(
          request, *response, dtype == DataType::kFloat32 ? kFloat32Tolerance : kHalfTolerance);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, ApiNumerics,
                         ::testing::Combine(::testing::ValuesIn(Variants()),
                                            ::testing::Values("cpu", "reference")),
                         [](const auto& info) {
                           return std::get<0>(info.param).name + "_" + std::get<1>(info.param);
                         });

// encodings.md section 6: batch 1, q_len 2, kv_len 4, heads 4, kv_heads 2, head_dim 8 with
// Q[n] = sin(0.1 n + 0.3), K[n] = cos(0.07 n - 0.2), V[n] = sin(0.05 n + 1), sent as float32.
v1::AttentionRequest WorkedRequest(const std::string& text) {
  v1::AttentionRequest request;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &request));
  const auto fill = [](int64_t count, auto formula) {
    std::vector<float> values(count);
    for (int64_t n = 0; n < count; ++n) values[n] = static_cast<float>(formula(double(n)));
    return values;
  };
  *request.mutable_query() = MakeTensor(DataType::kFloat32, {1, 2, 4, 8},
                                        fill(64, [](double n) { return std::sin(0.1 * n + 0.3); }));
  *request.mutable_key() = MakeTensor(DataType::kFloat32, {1, 4, 2, 8},
                                      fill(64, [](double n) { return std::cos(0.07 * n - 0.2); }));
  *request.mutable_value() = MakeTensor(DataType::kFloat32, {1, 4, 2, 8},
                                        fill(64, [](double n) { return std::sin(0.05 * n + 1); }));
  request.set_return_lse(true);
  return request;
}

using WorkedAttention = testing::WithLiveServer<>;

TEST_F(WorkedAttention, CausalRopeAlibiMatchesEncodingsDoc) {
  const v1::AttentionRequest request = WorkedRequest(
      "encoding { rotary { theta: 10000 } alibi { max_bias: 8 } } causal: true "
      "position_offsets: 3 kv_lengths: 3");
  absl::StatusOr<v1::AttentionResponse> response = Client().ComputeAttention(request);
  ASSERT_TRUE(response.ok()) << response.status();
  const std::vector<double> out0 = {0.85754251495557765, 0.86239087043457019, 0.86508369786195927,
                                    0.86561426657157425, 0.86398125041795559, 0.86018873109102945,
                                    0.85424618791400675, 0.84616847415001351};
  const std::vector<double> out7 = {0.62510460134023793, 0.6002456455863272,  0.57388638832034022,
                                    0.54609271395780556, 0.51693409220996389, 0.48648340444566851,
                                    0.45481676152591816, 0.42201331356634381};
  const std::vector<double> lse = {1.1633141073185991, 1.0836822364052048, 1.9721859263646868,
                                   1.7410891703483737, 1.2834543918959571, 2.0196347549121212,
                                   1.100900460906806,  1.142778666945137};
  const std::vector<float> output = *TensorValues(response->output());
  EXPECT_LT(RelativeL2Error(std::vector<double>(output.begin(), output.begin() + 8), out0), 1e-5);
  EXPECT_LT(RelativeL2Error(std::vector<double>(output.begin() + 56, output.end()), out7), 1e-5);
  const std::vector<float> actual_lse = *TensorValues(response->lse());
  EXPECT_LT(RelativeL2Error(std::vector<double>(actual_lse.begin(), actual_lse.end()), lse), 1e-5);
}

TEST_F(WorkedAttention, NonCausalYarnAlibiWindowMatchesEncodingsDoc) {
  const v1::AttentionRequest request = WorkedRequest(
      "encoding { rotary { interleaved: true yarn { factor: 4 original_max_position: 4096 } } "
      "alibi { max_bias: 4 } } window: 2 position_offsets: 3 kv_lengths: 4");
  absl::StatusOr<v1::AttentionResponse> response = Client().ComputeAttention(request);
  ASSERT_TRUE(response.ok()) << response.status();
  const std::vector<double> out3 = {
      0.16522490817198468,   0.12646631476996309,   0.087391621443400125,  0.04809849457590526,
      0.0086851465211821854, -0.030749909876706838, -0.070108107514147339, -0.1092910713943992};
  const std::vector<double> lse = {0.3755391032574793, 2.4520999325976276,   0.91801787639942356,
                                   3.5958692617311221, -0.16296373495505212, 2.6369003624157967,
                                   0.9419243357565722, 0.75426296134830384};
  const std::vector<float> output = *TensorValues(response->output());
  EXPECT_LT(RelativeL2Error(std::vector<double>(output.begin() + 24, output.begin() + 32), out3),
            1e-5);
  const std::vector<float> actual_lse = *TensorValues(response->lse());
  EXPECT_LT(RelativeL2Error(std::vector<double>(actual_lse.begin(), actual_lse.end()), lse), 1e-5);
}

}  // namespace
}  // namespace attnserve
