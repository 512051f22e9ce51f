// make_seed_corpus DIR: writes decode_fuzzer's seed corpus into DIR, one file per request, in
// the input format of tests/fuzz/fuzz_input.h. Every seed is a request the server accepts
// (tests/support/invalid_requests.h's valid ones and variants of them), so the fuzzer starts
// inside each RPC's valid region, with every rotary scaling, ALiBi, masking and dtype already
// reached, instead of having to discover tags, oneofs and byte counts that match shapes.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "attnserve/v1/attention.pb.h"
#include "kernels/api/tensor_view.h"
#include "server/decode/tensor_codec.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/invalid_requests.h"
#include "tests/support/random_problem.h"

namespace attnserve::fuzz {
namespace {

struct Seed {
  std::string name;  // the file name
  std::string input;
};

Seed MakeSeed(std::string name, FuzzedRpc rpc, const google::protobuf::MessageLite& request) {
  return {std::move(name), static_cast<char>(rpc) + request.SerializeAsString()};
}

// Replaces `tensor` with random data of the same shape in `dtype`.
void Retype(v1::Tensor& tensor, DataType dtype, uint64_t seed) {
  const std::vector<int64_t> shape(tensor.shape().begin(), tensor.shape().end());
  const std::vector<std::byte> bytes = testing::RandomTensorBytes(dtype, NumElements(shape), seed);
  tensor.set_dtype(ToProto(dtype));
  tensor.set_data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// One encoding per rotary scaling, each valid for head_dim 8 (every valid request's), with
// original context lengths the seeds' positions exceed so that the long-context branches run.
std::vector<std::pair<std::string, v1::RotaryEncoding>> RotaryEncodings() {
  std::vector<std::pair<std::string, v1::RotaryEncoding>> encodings(7);
  encodings[0].first = "plain";
  encodings[1].first = "linear";
  encodings[1].second.mutable_linear()->set_factor(2);
  encodings[2].first = "ntk";
  encodings[2].second.mutable_ntk()->set_alpha(4);
  encodings[3].first = "dynamic_ntk";
  encodings[3].second.mutable_dynamic_ntk()->set_factor(2);
  encodings[3].second.mutable_dynamic_ntk()->set_original_max_position(4);
  encodings[4].first = "yarn";
  encodings[4].second.set_theta(500000);
  encodings[4].second.mutable_yarn()->set_factor(4);
  encodings[4].second.mutable_yarn()->set_original_max_position(16);
  encodings[5].first = "llama3_interleaved";
  encodings[5].second.set_theta(500000);
  encodings[5].second.set_interleaved(true);
  encodings[5].second.mutable_llama3()->set_original_max_position(16);
  encodings[6].first = "longrope_partial";
  v1::LongRopeScaling& longrope = *encodings[6].second.mutable_longrope();
  encodings[6].second.set_rotary_dim(4);
  for (double factor : {1.0, 1.5}) longrope.add_short_factor(factor);
  for (double factor : {2.0, 4.0}) longrope.add_long_factor(factor);
  longrope.set_original_max_position(16);
  longrope.set_factor(8);
  return encodings;
}

// batch 2, q_len 3, kv_len 5, heads 4, kv_heads 2 (see ValidAttentionRequest).
std::vector<Seed> AttentionSeeds() {
  constexpr FuzzedRpc kRpc = FuzzedRpc::kComputeAttention;
  std::vector<Seed> seeds = {MakeSeed("attention_valid", kRpc, testing::ValidAttentionRequest())};
  for (const auto& [name, rotary] : RotaryEncodings()) {
    v1::AttentionRequest request = testing::ValidAttentionRequest();
    *request.mutable_encoding()->mutable_rotary() = rotary;
    request.set_causal(true);
    for (int64_t offset : {0, 70000}) request.add_position_offsets(offset);
    seeds.push_back(MakeSeed("attention_rotary_" + name, kRpc, request));
  }

  v1::AttentionRequest alibi = testing::ValidAttentionRequest();
  alibi.mutable_encoding()->mutable_alibi()->set_training_length(4);
  alibi.set_window(2);
  for (int64_t length : {5, 2}) alibi.add_kv_lengths(length);
  alibi.set_return_lse(true);
  alibi.set_return_probabilities(true);
  seeds.push_back(MakeSeed("attention_alibi_window", kRpc, alibi));

  v1::AttentionRequest both = testing::ValidAttentionRequest();
  for (float slope : {0.5f, 0.25f, 0.125f, 0.0625f}) {
    both.mutable_encoding()->mutable_alibi()->add_slopes(slope);
  }
  both.mutable_encoding()->mutable_rotary()->set_rotary_dim(4);
  both.set_softmax_scale(0.5);
  both.set_backend("reference");
  seeds.push_back(MakeSeed("attention_alibi_slopes_rotary_reference", kRpc, both));

  for (const auto& [name, dtype, output_dtype, backend] :
       {std::tuple{"float16", DataType::kFloat16, v1::DATA_TYPE_BFLOAT16, "cpu"},
        std::tuple{"bfloat16", DataType::kBFloat16, v1::DATA_TYPE_FLOAT32, "reference"}}) {
    v1::AttentionRequest request = testing::ValidAttentionRequest();
    uint64_t seed = 10;
    for (v1::Tensor* tensor :
         {request.mutable_query(), request.mutable_key(), request.mutable_value()}) {
      Retype(*tensor, dtype, seed++);
    }
    request.set_output_dtype(output_dtype);
    request.set_backend(backend);
    request.set_causal(true);
    request.set_return_lse(true);
    seeds.push_back(MakeSeed(std::string("attention_") + name, kRpc, request));
  }
  return seeds;
}

std::vector<Seed> RotarySeeds() {
  std::vector<Seed> seeds;
  for (const auto& [name, rotary] : RotaryEncodings()) {
    v1::RotaryRequest request = testing::ValidRotaryRequest();
    *request.mutable_rotary() = rotary;
    for (int64_t position : {0, 5, 70000}) request.add_positions(position);
    seeds.push_back(MakeSeed("rotary_" + name, FuzzedRpc::kApplyRotary, request));

    v1::RotaryTableRequest table = testing::ValidRotaryTableRequest();
    *table.mutable_rotary() = rotary;
    seeds.push_back(MakeSeed("rotary_table_" + name, FuzzedRpc::kGetRotaryTable, table));
  }
  v1::RotaryRequest key_only = testing::ValidRotaryRequest();
  key_only.clear_query();
  Retype(*key_only.mutable_key(), DataType::kFloat16, 20);
  seeds.push_back(MakeSeed("rotary_key_only_float16", FuzzedRpc::kApplyRotary, key_only));
  v1::RotaryRequest query_only = testing::ValidRotaryRequest();
  query_only.clear_key();
  Retype(*query_only.mutable_query(), DataType::kBFloat16, 21);
  seeds.push_back(MakeSeed("rotary_query_only_bfloat16", FuzzedRpc::kApplyRotary, query_only));
  return seeds;
}

std::vector<Seed> TableSeeds() {
  std::vector<Seed> seeds = {
      MakeSeed("alibi_valid", FuzzedRpc::kGetAlibiSlopes, testing::ValidAlibiRequest()),
      MakeSeed("sinusoidal_valid", FuzzedRpc::kGetSinusoidalTable,
               testing::ValidSinusoidalRequest())};
  // A head count that is not a power of two takes the slopes' interleaving branch.
  v1::AlibiRequest alibi;
  alibi.set_num_heads(6);
  alibi.set_max_bias(4);
  alibi.set_query_length(5);
  alibi.set_key_length(5);
  alibi.set_training_length(3);
  seeds.push_back(MakeSeed("alibi_interpolated", FuzzedRpc::kGetAlibiSlopes, alibi));
  v1::SinusoidalRequest sinusoidal;
  sinusoidal.set_dim(6);
  sinusoidal.set_theta(500);
  for (int64_t position : {1, 2}) sinusoidal.add_positions(position);
  seeds.push_back(MakeSeed("sinusoidal_theta", FuzzedRpc::kGetSinusoidalTable, sinusoidal));
  return seeds;
}

// Inputs that once made the handlers allocate gigabytes. As seeds they run first in every fuzz
// run, where -malloc_limit_mb turns a regression into a failure (the status tests in
// invalid_requests.cc cannot see an allocation that happens before the right refusal).
std::vector<Seed> RegressionSeeds() {
  v1::RotaryTableRequest table;
  table.set_head_dim(2147483646);
  v1::SinusoidalRequest sinusoidal;
  sinusoidal.set_dim(2147483646);
  return {MakeSeed("regression_rotary_table_huge_head_dim", FuzzedRpc::kGetRotaryTable, table),
          MakeSeed("regression_sinusoidal_huge_dim", FuzzedRpc::kGetSinusoidalTable, sinusoidal)};
}

}  // namespace
}  // namespace attnserve::fuzz

int main(int argc, char** argv) {
  using attnserve::fuzz::Seed;
  if (argc != 2) {
    std::cerr << "usage: make_seed_corpus DIR\n";
    return 2;
  }
  const std::filesystem::path directory = argv[1];
  std::filesystem::create_directories(directory);
  int written = 0;
  for (const std::vector<Seed>& seeds :
       {attnserve::fuzz::AttentionSeeds(), attnserve::fuzz::RotarySeeds(),
        attnserve::fuzz::TableSeeds(), attnserve::fuzz::RegressionSeeds()}) {
    for (const Seed& seed : seeds) {
      std::ofstream file(directory / seed.name, std::ios::binary | std::ios::trunc);
      file << seed.input;
      if (!file.flush()) {
        std::cerr << "make_seed_corpus: cannot write " << (directory / seed.name) << "\n";
        return 1;
      }
      ++written;
    }
  }
  std::cout << "wrote " << written << " seeds to " << directory << "\n";
  return 0;
}
