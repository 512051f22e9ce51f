// The input format of decode_fuzzer, shared with make_seed_corpus so that seeds and fuzzer
// agree: one selector byte naming the RPC, then that RPC's request in protobuf wire format.
#ifndef ATTNSERVE_TESTS_FUZZ_FUZZ_INPUT_H_
#define ATTNSERVE_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstdint>

namespace attnserve::fuzz {

enum class FuzzedRpc : uint8_t {
  kComputeAttention,
  kApplyRotary,
  kGetRotaryTable,
  kGetAlibiSlopes,
  kGetSinusoidalTable,
};
inline constexpr int kNumFuzzedRpcs = 5;

// Every selector byte names some RPC, so no mutation of the first byte is wasted.
inline FuzzedRpc RpcOfSelector(uint8_t selector) {
  return static_cast<FuzzedRpc>(selector % kNumFuzzedRpcs);
}

}  // namespace attnserve::fuzz

#endif  // ATTNSERVE_TESTS_FUZZ_FUZZ_INPUT_H_
