#include "tests/support/invalid_requests.h"

#include <cmath>
#include <limits>

#include "kernels/api/tensor_view.h"
#include "tests/support/random_problem.h"

namespace attnserve::testing {
namespace {

using v1::AttentionRequest;

constexpr char kDtypeRule[] =
    " must be one of DATA_TYPE_FLOAT32, DATA_TYPE_FLOAT16, DATA_TYPE_BFLOAT16";
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Replaces `tensor` with a random float32 one of `shape` (so its bytes stay consistent).
void Reshape(v1::Tensor& tensor, const std::vector<int64_t>& shape) {
  tensor = RandomTensor(shape, 99);
}

// Shorthand for mutations of the rotary or alibi part of an attention request.
v1::RotaryEncoding& Rotary(AttentionRequest& r) { return *r.mutable_encoding()->mutable_rotary(); }
v1::AlibiEncoding& Alibi(AttentionRequest& r) { return *r.mutable_encoding()->mutable_alibi(); }

std::vector<InvalidCase<AttentionRequest>> TensorCases() {
  return {
      {"MissingQuery", [](auto& r) { r.clear_query(); }, "query is required"},
      {"MissingValue", [](auto& r) { r.clear_value(); }, "value is required"},
      {"UnspecifiedDtype", [](auto& r) { r.mutable_query()->set_dtype(v1::DATA_TYPE_UNSPECIFIED); },
       std::string("query.dtype=DATA_TYPE_UNSPECIFIED") + kDtypeRule},
      {"UnknownDtype", [](auto& r) { r.mutable_key()->set_dtype(static_cast<v1::DataType>(7)); },
       std::string("key.dtype=7") + kDtypeRule},
      {"WrongRank",
       [](auto& r) {
         Reshape(*r.mutable_value(), {2, 5, 12});
       },
       "value.shape has 3 dims, must have 4: [batch, kv_len, kv_heads, v_head_dim]"},
      {"ZeroDim", [](auto& r) { r.mutable_query()->set_shape(1, 0); },
       "query.shape[1]=0 (q_len) must be >= 1"},
      {"NegativeDim", [](auto& r) { r.mutable_key()->set_shape(2, -2); },
       "key.shape[2]=-2 (kv_heads) must be >= 1"},
      {"DataSizeMismatch", [](auto& r) { r.mutable_query()->mutable_data()->resize(764); },
       "query.data has 764 bytes, must have 768 (192 elements of float32)"},
      {"ShapeProductOverflows",
       [](auto& r) {
         r.mutable_query()->set_shape(0, int64_t{1} << 40);
         r.mutable_query()->set_shape(1, int64_t{1} << 40);
       },
       "query.shape [1099511627776, 1099511627776, 4, 8] overflows int64 bytes"},
      {"NanInQuery",
       [](auto& r) {
         const float nan = std::numeric_limits<float>::quiet_NaN();
         r.mutable_query()->mutable_data()->replace(5 * 4, 4, reinterpret_cast<const char*>(&nan),
                                                    4);
       },
       "query.data[5] = nan: inputs must be finite"},
      {"InfinityInValue",
       [](auto& r) {
         const float inf = -std::numeric_limits<float>::infinity();
         r.mutable_value()->mutable_data()->replace(7 * 4, 4, reinterpret_cast<const char*>(&inf),
                                                    4);
       },
       "value.data[7] = -inf: inputs must be finite"},
      {"DtypeMismatch",
       [](auto& r) {
         r.mutable_key()->set_dtype(v1::DATA_TYPE_FLOAT16);
         r.mutable_key()->mutable_data()->resize(r.key().data().size() / 2);
       },
       "key.dtype=float16 must equal query.dtype=float32"},
      {"KeyBatchMismatch",
       [](auto& r) {
         Reshape(*r.mutable_key(), {1, 5, 2, 8});
       },
       "key.shape[0]=1 must equal query.shape[0]=2 (batch)"},
      {"ValueBatchMismatch",
       [](auto& r) {
         Reshape(*r.mutable_value(), {1, 5, 2, 6});
       },
       "value.shape[0]=1 must equal query.shape[0]=2 (batch)"},
      {"ValueLengthMismatch",
       [](auto& r) {
         Reshape(*r.mutable_value(), {2, 4, 2, 6});
       },
       "value.shape[1]=4 must equal key.shape[1]=5 (kv_len)"},
      {"ValueHeadsMismatch",
       [](auto& r) {
         Reshape(*r.mutable_value(), {2, 5, 1, 6});
       },
       "value.shape[2]=1 must equal key.shape[2]=2 (kv_heads)"},
      {"HeadDimMismatch",
       [](auto& r) {
         Reshape(*r.mutable_key(), {2, 5, 2, 4});
       },
       "key.shape[3]=4 must equal query.shape[3]=8 (head_dim)"},
      {"KvHeadsMustDivideHeads",
       [](auto& r) {
         Reshape(*r.mutable_query(), {2, 3, 6, 8});
         Reshape(*r.mutable_key(), {2, 5, 4, 8});
         Reshape(*r.mutable_value(), {2, 5, 4, 6});
       },
       "key.shape[2]=4 must divide query heads=6"},
  };
}

std::vector<InvalidCase<AttentionRequest>> MaskCases() {
  return {
      {"NegativeSoftmaxScale", [](auto& r) { r.set_softmax_scale(-1); },
       "softmax_scale=-1 must be finite and >= 0 (0 means 1/sqrt(head_dim))"},
      {"NanSoftmaxScale", [](auto& r) { r.set_softmax_scale(kNan); },
       "softmax_scale=nan must be finite and >= 0 (0 means 1/sqrt(head_dim))"},
      {"SoftmaxScaleBeyondFloat", [](auto& r) { r.set_softmax_scale(1e308); },
       "softmax_scale=1e+308 must be at most 3.40282e+38 (float32)"},
      {"NegativeWindow", [](auto& r) { r.set_window(-1); },
       "window=-1 must be >= 0 (0 means unlimited)"},
      {"OffsetCount", [](auto& r) { r.add_position_offsets(3); },
       "position_offsets size=1 must equal query.shape[0]=2 (one per batch element, or none)"},
      {"NegativeOffset",
       [](auto& r) {
         r.add_position_offsets(0);
         r.add_position_offsets(-3);
       },
       "position_offsets[1]=-3 must be >= 0"},
      {"OffsetBeyondExactDouble",
       [](auto& r) {
         r.add_position_offsets(int64_t{1} << 53);
         r.add_position_offsets(0);
       },
       "position_offsets[0]=9007199254740992 must be <= 9007199254740987 (positions must stay "
       "exact in double)"},
      {"LengthCount",
       [](auto& r) {
         for (int64_t length : {1, 2, 3}) r.add_kv_lengths(length);
       },
       "kv_lengths size=3 must equal query.shape[0]=2 (one per batch element, or none)"},
      {"LengthBeyondKvLen",
       [](auto& r) {
         r.add_kv_lengths(6);
         r.add_kv_lengths(1);
       },
       "kv_lengths[0]=6 must be in [0, kv_len=5]"},
      {"NegativeLength",
       [](auto& r) {
         r.add_kv_lengths(5);
         r.add_kv_lengths(-1);
       },
       "kv_lengths[1]=-1 must be in [0, kv_len=5]"},
      {"UnknownOutputDtype", [](auto& r) { r.set_output_dtype(static_cast<v1::DataType>(9)); },
       std::string("output_dtype=9") + kDtypeRule},
  };
}

std::vector<InvalidCase<AttentionRequest>> RotaryCases() {
  return {
      {"ThetaNotAboveOne", [](auto& r) { Rotary(r).set_theta(0.5); },
       "encoding.rotary.theta=0.5 must be finite and > 1 (0 means 10000)"},
      {"ThetaInfinite", [](auto& r) { Rotary(r).set_theta(kInf); },
       "encoding.rotary.theta=inf must be finite and > 1 (0 means 10000)"},
      {"RotaryDimOdd", [](auto& r) { Rotary(r).set_rotary_dim(5); },
       "encoding.rotary.rotary_dim=5 must be even"},
      {"RotaryDimBeyondHeadDim", [](auto& r) { Rotary(r).set_rotary_dim(10); },
       "encoding.rotary.rotary_dim=10 must be in [2, head_dim=8]"},
      {"RotaryDimNegative", [](auto& r) { Rotary(r).set_rotary_dim(-2); },
       "encoding.rotary.rotary_dim=-2 must be in [2, head_dim=8]"},
      {"DefaultRotaryDimOddHeadDim",
       [](auto& r) {
         Reshape(*r.mutable_query(), {2, 3, 4, 7});
         Reshape(*r.mutable_key(), {2, 5, 2, 7});
         Rotary(r);
       },
       "encoding.rotary.rotary_dim=0 (meaning head_dim=7) must be even"},
      {"NtkNeedsFourDims",
       [](auto& r) {
         Rotary(r).set_rotary_dim(2);
         Rotary(r).mutable_ntk()->set_alpha(2);
       },
       "encoding.rotary.rotary_dim=2 must be >= 4 for ntk and dynamic_ntk scaling"},
      {"LinearFactorRequired", [](auto& r) { Rotary(r).mutable_linear(); },
       "encoding.rotary.linear.factor=0 must be finite and > 0"},
      {"NtkAlphaNegative", [](auto& r) { Rotary(r).mutable_ntk()->set_alpha(-1); },
       "encoding.rotary.ntk.alpha=-1 must be finite and > 0"},
      {"DynamicFactorRequired",
       [](auto& r) { Rotary(r).mutable_dynamic_ntk()->set_original_max_position(4096); },
       "encoding.rotary.dynamic_ntk.factor=0 must be finite and > 0"},
      {"DynamicOriginalRequired", [](auto& r) { Rotary(r).mutable_dynamic_ntk()->set_factor(2); },
       "encoding.rotary.dynamic_ntk.original_max_position=0 must be > 0"},
      {"YarnFactorRequired",
       [](auto& r) { Rotary(r).mutable_yarn()->set_original_max_position(4096); },
       "encoding.rotary.yarn.factor=0 must be finite and > 0"},
      {"YarnOriginalRequired", [](auto& r) { Rotary(r).mutable_yarn()->set_factor(4); },
       "encoding.rotary.yarn.original_max_position=0 must be > 0"},
      {"LinearFactorTinyGivesInfiniteFrequencies",
       [](auto& r) { Rotary(r).mutable_linear()->set_factor(1e-308); },
       "encoding.rotary.linear gives inverse frequency 0 = 1e+308, whose angle overflows by "
       "position 4: its values are out of range"},
  };
}

// A YaRN spec with its required fields, for the cases that break one optional field.
v1::YarnScaling& Yarn(AttentionRequest& r) {
  v1::YarnScaling& yarn = *Rotary(r).mutable_yarn();
  yarn.set_factor(4);
  yarn.set_original_max_position(4096);
  return yarn;
}

// A LongRoPE spec valid for rotary_dim 8, for the cases that break one field.
v1::LongRopeScaling& LongRope(AttentionRequest& r) {
  v1::LongRopeScaling& longrope = *Rotary(r).mutable_longrope();
  for (double f : {1.0, 1.5, 2.0, 4.0}) longrope.add_short_factor(f);
  for (double f : {1.0, 3.0, 9.0, 27.0}) longrope.add_long_factor(f);
  longrope.set_original_max_position(4096);
  longrope.set_factor(8);
  return longrope;
}

std::vector<InvalidCase<AttentionRequest>> ScalingCases() {
  return {
      {"YarnBetaFastNegative", [](auto& r) { Yarn(r).set_beta_fast(-1); },
       "encoding.rotary.yarn.beta_fast=-1 must be finite and >= 0 (0 means 32)"},
      {"YarnBetasOutOfOrder",
       [](auto& r) {
         Yarn(r).set_beta_fast(1);
         Yarn(r).set_beta_slow(2);
       },
       "encoding.rotary.yarn.beta_fast=1 must be > beta_slow=2 (0 means 32 and 1)"},
      {"YarnBetaFastBelowDefaultSlow", [](auto& r) { Yarn(r).set_beta_fast(0.5); },
       "encoding.rotary.yarn.beta_fast=0.5 must be > beta_slow=1 (0 means 32 and 1)"},
      {"YarnMscaleNegative", [](auto& r) { Yarn(r).set_mscale(-1); },
       "encoding.rotary.yarn.mscale=-1 must be finite and >= 0 (0 means unset)"},
      {"YarnMscaleAllDimNan", [](auto& r) { Yarn(r).set_mscale_all_dim(kNan); },
       "encoding.rotary.yarn.mscale_all_dim=nan must be finite and >= 0 (0 means unset)"},
      {"YarnAttentionFactorNegative", [](auto& r) { Yarn(r).set_attention_factor(-0.5); },
       "encoding.rotary.yarn.attention_factor=-0.5 must be finite and >= 0 (0 means derived)"},
      {"YarnHugeMscaleGivesInfiniteFactor",
       [](auto& r) {
         Yarn(r).set_mscale(1e308);
         Yarn(r).set_mscale_all_dim(1e-300);
       },
       "encoding.rotary.yarn gives attention factor 1.38629e+307, beyond float32: its values are "
       "out of range"},
      {"Llama3FactorNegative", [](auto& r) { Rotary(r).mutable_llama3()->set_factor(-1); },
       "encoding.rotary.llama3.factor=-1 must be finite and >= 0 (0 means 8)"},
      {"Llama3LowFreqNegative",
       [](auto& r) { Rotary(r).mutable_llama3()->set_low_freq_factor(-1); },
       "encoding.rotary.llama3.low_freq_factor=-1 must be finite and >= 0 (0 means 1)"},
      {"Llama3HighNotAboveLow", [](auto& r) { Rotary(r).mutable_llama3()->set_low_freq_factor(4); },
       "encoding.rotary.llama3.high_freq_factor=4 must be > low_freq_factor=4 (0 means 4 and 1)"},
      {"Llama3OriginalNegative",
       [](auto& r) { Rotary(r).mutable_llama3()->set_original_max_position(-1); },
       "encoding.rotary.llama3.original_max_position=-1 must be >= 0 (0 means 8192)"},
      {"LongRopeShortFactorCount",
       [](auto& r) { LongRope(r).mutable_short_factor()->RemoveLast(); },
       "encoding.rotary.longrope.short_factor has 3 values, must have rotary_dim/2=4"},
      {"LongRopeLongFactorZero", [](auto& r) { LongRope(r).set_long_factor(2, 0); },
       "encoding.rotary.longrope.long_factor[2]=0 must be finite and > 0"},
      {"LongRopeOriginalRequired", [](auto& r) { LongRope(r).set_original_max_position(0); },
       "encoding.rotary.longrope.original_max_position=0 must be > 0"},
      {"LongRopeFactorRequired", [](auto& r) { LongRope(r).set_factor(0); },
       "encoding.rotary.longrope.factor=0 must be finite and > 0 unless attention_factor is set"},
      {"LongRopeAttentionFactorNegative", [](auto& r) { LongRope(r).set_attention_factor(-1); },
       "encoding.rotary.longrope.attention_factor=-1 must be finite and >= 0 (0 means derived)"},
      {"LongRopeDerivedFactorNeedsLength",
       [](auto& r) { LongRope(r).set_original_max_position(1); },
       "encoding.rotary.longrope.original_max_position=1 must be >= 2 to derive the attention "
       "factor"},
  };
}

std::vector<InvalidCase<AttentionRequest>> AlibiCases() {
  return {
      {"SlopeCount",
       [](auto& r) {
         for (float s : {0.5f, 0.25f, 0.125f}) Alibi(r).add_slopes(s);
       },
       "encoding.alibi.slopes has 3 values, must have one per query head (4)"},
      {"SlopeNegative",
       [](auto& r) {
         for (float s : {0.5f, -0.5f, 0.125f, 0.0f}) Alibi(r).add_slopes(s);
       },
       "encoding.alibi.slopes[1]=-0.5 must be finite and >= 0 (0 means no bias)"},
      {"SlopesWithMaxBias",
       [](auto& r) {
         for (float s : {0.5f, 0.25f, 0.125f, 0.0625f}) Alibi(r).add_slopes(s);
         Alibi(r).set_max_bias(8);
       },
       "encoding.alibi.max_bias=8 must be 0 when slopes are given"},
      {"MaxBiasNegative", [](auto& r) { Alibi(r).set_max_bias(-1); },
       "encoding.alibi.max_bias=-1 must be finite and >= 0 (0 means 8)"},
      {"TrainingLengthNegative", [](auto& r) { Alibi(r).set_training_length(-5); },
       "encoding.alibi.training_length=-5 must be >= 0 (0 means off)"},
  };
}

}  // namespace

v1::Tensor RandomTensor(const std::vector<int64_t>& shape, uint64_t seed) {
  v1::Tensor tensor;
  tensor.set_dtype(v1::DATA_TYPE_FLOAT32);
  tensor.mutable_shape()->Assign(shape.begin(), shape.end());
  const std::vector<std::byte> bytes =
      RandomTensorBytes(DataType::kFloat32, NumElements(shape), seed);
  tensor.set_data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return tensor;
}

AttentionRequest ValidAttentionRequest() {
  AttentionRequest request;
  *request.mutable_query() = RandomTensor({2, 3, 4, 8}, 1);
  *request.mutable_key() = RandomTensor({2, 5, 2, 8}, 2);
  *request.mutable_value() = RandomTensor({2, 5, 2, 6}, 3);
  return request;
}

std::vector<InvalidCase<AttentionRequest>> InvalidAttentionCases() {
  std::vector<InvalidCase<AttentionRequest>> cases;
  for (auto group : {TensorCases(), MaskCases(), RotaryCases(), ScalingCases(), AlibiCases()}) {
    cases.insert(cases.end(), group.begin(), group.end());
  }
  return cases;
}

v1::RotaryRequest ValidRotaryRequest() {
  v1::RotaryRequest request;
  *request.mutable_query() = RandomTensor({1, 3, 2, 8}, 4);
  *request.mutable_key() = RandomTensor({1, 3, 1, 8}, 5);
  return request;
}

std::vector<InvalidCase<v1::RotaryRequest>> InvalidRotaryCases() {
  return {
      {"NeitherQueryNorKey",
       [](auto& r) {
         r.clear_query();
         r.clear_key();
       },
       "query and key are both absent: at least one is required"},
      {"QueryRank",
       [](auto& r) {
         Reshape(*r.mutable_query(), {3, 16});
       },
       "query.shape has 2 dims, must have 4: [batch, seq, heads, head_dim]"},
      {"SeqMismatch",
       [](auto& r) {
         Reshape(*r.mutable_key(), {1, 2, 1, 8});
       },
       "key.shape[1]=2 must equal query.shape[1]=3 (seq)"},
      {"PositionCount",
       [](auto& r) {
         for (int64_t p : {4, 9}) r.add_positions(p);
       },
       "positions has 2 entries, must have seq=3 (or none)"},
      {"NegativePosition",
       [](auto& r) {
         for (int64_t p : {-1, 0, 1}) r.add_positions(p);
       },
       "positions[0]=-1 must be >= 0"},
      {"NanInKey",
       [](auto& r) {
         const float nan = std::numeric_limits<float>::quiet_NaN();
         r.mutable_key()->mutable_data()->replace(0, 4, reinterpret_cast<const char*>(&nan), 4);
       },
       "key.data[0] = nan: inputs must be finite"},
      {"RotaryRuleNamesRotaryField", [](auto& r) { r.mutable_rotary()->set_rotary_dim(3); },
       "rotary.rotary_dim=3 must be even"},
  };
}

v1::RotaryTableRequest ValidRotaryTableRequest() {
  v1::RotaryTableRequest request;
  request.set_head_dim(8);
  for (int64_t p : {0, 5, 70000}) request.add_positions(p);
  return request;
}

std::vector<InvalidCase<v1::RotaryTableRequest>> InvalidRotaryTableCases() {
  return {
      {"HeadDimRequired", [](auto& r) { r.set_head_dim(0); }, "head_dim=0 must be >= 2"},
      {"ThetaOne", [](auto& r) { r.mutable_rotary()->set_theta(1); },
       "rotary.theta=1 must be finite and > 1 (0 means 10000)"},
      {"PositionBeyondExactDouble", [](auto& r) { r.set_positions(1, (int64_t{1} << 53) + 1); },
       "positions[1]=9007199254740993 must be <= 9007199254740992 (positions must stay exact in "
       "double)"},
      // Found by the fuzzer: the frequencies were built before this size check.
      {"HugeHeadDimWithoutPositions",
       [](auto& r) {
         r.set_head_dim(2147483646);
         r.clear_positions();
       },
       "response would carry 8589934584 bytes of tensors, over max_message_bytes=268435456 less "
       "4096 for the message around them",
       absl::StatusCode::kResourceExhausted},
  };
}

v1::AlibiRequest ValidAlibiRequest() {
  v1::AlibiRequest request;
  request.set_num_heads(12);
  request.set_query_length(2);
  request.set_key_length(5);
  return request;
}

std::vector<InvalidCase<v1::AlibiRequest>> InvalidAlibiCases() {
  return {
      {"NumHeadsRequired", [](auto& r) { r.set_num_heads(0); }, "num_heads=0 must be >= 1"},
      {"MaxBiasNan", [](auto& r) { r.set_max_bias(kNan); },
       "max_bias=nan must be finite and >= 0 (0 means 8)"},
      {"QueryLengthNegative", [](auto& r) { r.set_query_length(-1); },
       "query_length=-1 must be >= 0 (0 means no bias matrix)"},
      {"KeyLengthNegative", [](auto& r) { r.set_key_length(-1); },
       "key_length=-1 must be >= 0 (0 means no bias matrix)"},
      {"TrainingLengthNegative", [](auto& r) { r.set_training_length(-1); },
       "training_length=-1 must be >= 0 (0 means off)"},
      {"BiasBeyondInt64",
       [](auto& r) {
         r.set_query_length(int64_t{1} << 40);
         r.set_key_length(int64_t{1} << 40);
       },
       "response would carry over 2^63 bytes of tensors, over max_message_bytes=268435456 less "
       "4096 for the message around them",
       absl::StatusCode::kResourceExhausted},
      {"BiasSizeSumOverflows",  // regression: the slopes' 4 bytes wrapped the total negative
       [](auto& r) {
         r.set_num_heads(1);
         r.set_query_length((int64_t{1} << 61) - 1);
         r.set_key_length(1);
       },
       "response would carry over 2^63 bytes of tensors, over max_message_bytes=268435456 less "
       "4096 for the message around them",
       absl::StatusCode::kResourceExhausted},
      {"BiasBeyondMessageLimit",
       [](auto& r) {
         r.set_query_length(8192);
         r.set_key_length(8192);
       },
       "response would carry 3221225520 bytes of tensors, over max_message_bytes=268435456 less "
       "4096 for the message around them",
       absl::StatusCode::kResourceExhausted},
  };
}

v1::SinusoidalRequest ValidSinusoidalRequest() {
  v1::SinusoidalRequest request;
  request.set_dim(8);
  for (int64_t p : {0, 5, 70000}) request.add_positions(p);
  return request;
}

std::vector<InvalidCase<v1::SinusoidalRequest>> InvalidSinusoidalCases() {
  return {
      {"DimOdd", [](auto& r) { r.set_dim(3); }, "dim=3 must be even and >= 2"},
      {"DimZero", [](auto& r) { r.set_dim(0); }, "dim=0 must be even and >= 2"},
      {"ThetaBelowOne", [](auto& r) { r.set_theta(0.5); },
       "theta=0.5 must be finite and > 1 (0 means 10000)"},
      {"NegativePosition", [](auto& r) { r.set_positions(2, -7); }, "positions[2]=-7 must be >= 0"},
      // Found by the fuzzer: with no positions the table is empty, yet a row was allocated.
      {"HugeDimWithoutPositions",
       [](auto& r) {
         r.set_dim(2147483646);
         r.clear_positions();
       },
       "dim=2147483646 is over max_tensor_elements=134217728",
       absl::StatusCode::kResourceExhausted},
  };
}

}  // namespace attnserve::testing
