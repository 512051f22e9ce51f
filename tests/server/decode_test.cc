// The decode layer: every validation rule answers its exact status, and every "0 means"
// default of the API reaches the kernels' specs.
#include <cmath>
#include <limits>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/decode/attention_decoder.h"
#include "server/decode/table_decoders.h"
#include "tests/support/invalid_requests.h"

namespace attnserve {
namespace {

using testing::InvalidCase;

template <typename Request, typename Decode>
void ExpectRejected(const Request& valid, const InvalidCase<Request>& invalid, Decode decode) {
  Request request = valid;
  invalid.mutate(request);
  const absl::Status status = decode(request, RequestLimits{}).status();
  EXPECT_EQ(status.code(), invalid.code) << status;
  EXPECT_EQ(status.message(), invalid.message);
}

class AttentionRule : public ::testing::TestWithParam<InvalidCase<v1::AttentionRequest>> {};
TEST_P(AttentionRule, IsRejectedNamingFieldAndRule) {
  ExpectRejected(testing::ValidAttentionRequest(), GetParam(), DecodeAttentionRequest);
}
INSTANTIATE_TEST_SUITE_P(Decode, AttentionRule,
                         ::testing::ValuesIn(testing::InvalidAttentionCases()),
                         [](const auto& info) { return info.param.name; });

class RotaryRule : public ::testing::TestWithParam<InvalidCase<v1::RotaryRequest>> {};
TEST_P(RotaryRule, IsRejectedNamingFieldAndRule) {
  ExpectRejected(testing::ValidRotaryRequest(), GetParam(), DecodeRotaryRequest);
}
INSTANTIATE_TEST_SUITE_P(Decode, RotaryRule, ::testing::ValuesIn(testing::InvalidRotaryCases()),
                         [](const auto& info) { return info.param.name; });

class RotaryTableRule : public ::testing::TestWithParam<InvalidCase<v1::RotaryTableRequest>> {};
TEST_P(RotaryTableRule, IsRejectedNamingFieldAndRule) {
  ExpectRejected(testing::ValidRotaryTableRequest(), GetParam(), DecodeRotaryTableRequest);
}
INSTANTIATE_TEST_SUITE_P(Decode, RotaryTableRule,
                         ::testing::ValuesIn(testing::InvalidRotaryTableCases()),
                         [](const auto& info) { return info.param.name; });

class AlibiRule : public ::testing::TestWithParam<InvalidCase<v1::AlibiRequest>> {};
TEST_P(AlibiRule, IsRejectedNamingFieldAndRule) {
  ExpectRejected(testing::ValidAlibiRequest(), GetParam(), DecodeAlibiRequest);
}
INSTANTIATE_TEST_SUITE_P(Decode, AlibiRule, ::testing::ValuesIn(testing::InvalidAlibiCases()),
                         [](const auto& info) { return info.param.name; });

class SinusoidalRule : public ::testing::TestWithParam<InvalidCase<v1::SinusoidalRequest>> {};
TEST_P(SinusoidalRule, IsRejectedNamingFieldAndRule) {
  ExpectRejected(testing::ValidSinusoidalRequest(), GetParam(), DecodeSinusoidalRequest);
}
INSTANTIATE_TEST_SUITE_P(Decode, SinusoidalRule,
                         ::testing::ValuesIn(testing::InvalidSinusoidalCases()),
                         [](const auto& info) { return info.param.name; });

TEST(DecodeValidRequests, EveryValidBaseRequestDecodes) {
  EXPECT_TRUE(DecodeAttentionRequest(testing::ValidAttentionRequest(), {}).ok());
  EXPECT_TRUE(DecodeRotaryRequest(testing::ValidRotaryRequest(), {}).ok());
  EXPECT_TRUE(DecodeRotaryTableRequest(testing::ValidRotaryTableRequest(), {}).ok());
  EXPECT_TRUE(DecodeAlibiRequest(testing::ValidAlibiRequest(), {}).ok());
  EXPECT_TRUE(DecodeSinusoidalRequest(testing::ValidSinusoidalRequest(), {}).ok());
}

TEST(DecodeAttention, AppliesScaleDtypeAndMaskDefaults) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_DOUBLE_EQ(decoded->problem.softmax_scale, 1 / std::sqrt(8.0));
  EXPECT_EQ(decoded->output_dtype, DataType::kFloat32);
  EXPECT_EQ(decoded->problem.shape.v_head_dim, 6);
  EXPECT_FALSE(decoded->problem.rotary.has_value());
  EXPECT_FALSE(decoded->problem.alibi.has_value());
  EXPECT_EQ(decoded->problem.kv_length(1), 5);
  EXPECT_EQ(decoded->problem.position_offset(1), 0);

  request.set_softmax_scale(0.25);
  request.set_output_dtype(v1::DATA_TYPE_BFLOAT16);
  decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->problem.softmax_scale, 0.25);
  EXPECT_EQ(decoded->output_dtype, DataType::kBFloat16);
}

TEST(DecodeAttention, RotaryZeroesMeanTheirDefaults) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.mutable_encoding()->mutable_rotary()->mutable_yarn()->set_factor(4);
  request.mutable_encoding()->mutable_rotary()->mutable_yarn()->set_original_max_position(4096);
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const RotarySpec& rotary = *decoded->problem.rotary;
  EXPECT_EQ(rotary.theta, 10000);
  EXPECT_EQ(rotary.rotary_dim, 8);
  const auto& yarn = std::get<YarnScaling>(rotary.scaling);
  EXPECT_EQ(yarn.beta_fast, 32);
  EXPECT_EQ(yarn.beta_slow, 1);
  EXPECT_FALSE(yarn.mscale.has_value());
  EXPECT_FALSE(yarn.attention_factor.has_value());
  EXPECT_TRUE(yarn.truncate);  // absent means true

  request.mutable_encoding()->mutable_rotary()->mutable_yarn()->set_truncate(false);
  decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(std::get<YarnScaling>(decoded->problem.rotary->scaling).truncate);
}

TEST(DecodeAttention, Llama3ZeroesMeanTheLlama31Release) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.mutable_encoding()->mutable_rotary()->mutable_llama3();
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const auto& llama3 = std::get<Llama3Scaling>(decoded->problem.rotary->scaling);
  EXPECT_EQ(llama3.factor, 8);
  EXPECT_EQ(llama3.low_freq_factor, 1);
  EXPECT_EQ(llama3.high_freq_factor, 4);
  EXPECT_EQ(llama3.original_max_position, 8192);
}

TEST(DecodeAttention, AlibiMaxBiasZeroMeansEightAndSlopesPassThrough) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.mutable_encoding()->mutable_alibi();
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->problem.alibi->max_bias, 8);
  EXPECT_TRUE(decoded->problem.alibi->slopes.empty());

  for (float slope : {0.5f, 0.25f, 0.0f, 1.5f}) {
    request.mutable_encoding()->mutable_alibi()->add_slopes(slope);
  }
  decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok());
  EXPECT_THAT(decoded->problem.alibi->slopes, ::testing::ElementsAre(0.5, 0.25, 0.0, 1.5));
}

TEST(DecodeAttention, LongRopeAttentionFactorMakesFactorOptional) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  v1::LongRopeScaling& longrope = *request.mutable_encoding()->mutable_rotary()->mutable_longrope();
  for (int i = 0; i < 4; ++i) {
    longrope.add_short_factor(1 + i);
    longrope.add_long_factor(2 + i);
  }
  longrope.set_original_max_position(4096);
  longrope.set_attention_factor(1.25);
  absl::StatusOr<DecodedAttention> decoded = DecodeAttentionRequest(request, {});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const auto& spec = std::get<LongRopeScaling>(decoded->problem.rotary->scaling);
  EXPECT_EQ(spec.attention_factor, 1.25);
  EXPECT_FALSE(spec.factor.has_value());
}

TEST(DecodeAttention, ProbabilitiesPastTheLimitAreResourceExhausted) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.set_return_probabilities(true);
  RequestLimits limits;
  limits.max_probability_elements = 2 * 4 * 3 * 5;  // exactly what this request needs
  EXPECT_TRUE(DecodeAttentionRequest(request, limits).ok());
  limits.max_probability_elements -= 1;
  const absl::Status status = DecodeAttentionRequest(request, limits).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "return_probabilities needs batch*heads*q_len*kv_len=24*5 elements, over "
            "max_probability_elements=119");
}

TEST(DecodeAttention, TensorsPastMaxTensorElementsAreResourceExhausted) {
  RequestLimits limits;
  limits.max_tensor_elements = 2 * 3 * 4 * 8 - 1;  // query has 192 elements
  const absl::Status status =
      DecodeAttentionRequest(testing::ValidAttentionRequest(), limits).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "query has 192 elements, over max_tensor_elements=191");
  const absl::Status rotary =
      DecodeRotaryRequest(testing::ValidRotaryRequest(), {.max_tensor_elements = 47}).status();
  EXPECT_EQ(rotary.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(rotary.message(), "query has 48 elements, over max_tensor_elements=47");
}

TEST(DecodeAttention, WorkPastMaxAttentionWorkIsResourceExhausted) {
  RequestLimits limits;
  limits.max_attention_work = 2 * 4 * 3 * 5;  // exactly this request's
  EXPECT_TRUE(DecodeAttentionRequest(testing::ValidAttentionRequest(), limits).ok());
  limits.max_attention_work -= 1;
  const absl::Status status =
      DecodeAttentionRequest(testing::ValidAttentionRequest(), limits).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "attention work batch*heads*q_len*kv_len=24*5 is over max_attention_work=119");
}

TEST(RequestLimits, UnlimitedLiftsEveryLimit) {
  const RequestLimits unlimited = RequestLimits::Unlimited();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(unlimited.max_message_bytes, kMax);
  EXPECT_EQ(unlimited.max_probability_elements, kMax);
  EXPECT_EQ(unlimited.max_tensor_elements, kMax);
  EXPECT_EQ(unlimited.max_attention_work, kMax);
  // And a request over every default limit at once still decodes under it.
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  request.set_return_probabilities(true);
  const RequestLimits tiny{4700, 1, 1, 1};
  EXPECT_FALSE(DecodeAttentionRequest(request, tiny).ok());
  EXPECT_TRUE(DecodeAttentionRequest(request, unlimited).ok());
}

TEST(DecodeAttention, ResponsePastMessageLimitIsResourceExhausted) {
  v1::AttentionRequest request = testing::ValidAttentionRequest();
  RequestLimits limits;
  limits.max_message_bytes = 2 * 3 * 4 * 6 * 4 + kMessageOverheadBytes;  // just fits
  EXPECT_TRUE(DecodeAttentionRequest(request, limits).ok());
  limits.max_message_bytes -= 1;
  const absl::Status status = DecodeAttentionRequest(request, limits).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "response would carry 576 bytes of tensors, over max_message_bytes=4671 less 4096 "
            "for the message around them");
}

TEST(DecodeRotary, EmptyPositionsMeanZeroToSeqAndSetTheRequestLength) {
  absl::StatusOr<DecodedRotary> decoded = DecodeRotaryRequest(testing::ValidRotaryRequest(), {});
  ASSERT_TRUE(decoded.ok());
  EXPECT_THAT(decoded->positions, ::testing::ElementsAre(0, 1, 2));
  EXPECT_EQ(decoded->request_length, 3);

  v1::RotaryRequest request = testing::ValidRotaryRequest();
  for (int64_t p : {7, 70000, 3}) request.add_positions(p);
  decoded = DecodeRotaryRequest(request, {});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->request_length, 70001);
}

}  // namespace
}  // namespace attnserve
