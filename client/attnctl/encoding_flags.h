// The position-encoding flags (--rope*, --yarn_*, --llama3_*, --longrope_*, --alibi*) and their
// translation into API messages: the one place where attention and rotary build encodings.
// A flag given for a --rope type it does not belong to (e.g. --rope_alpha with --rope yarn) is
// an error rather than silently ignored. Values are passed through as the API defines them
// (0 means the field's default); the server validates ranges.
#ifndef ATTNSERVE_CLIENT_ATTNCTL_ENCODING_FLAGS_H_
#define ATTNSERVE_CLIENT_ATTNCTL_ENCODING_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "attnserve/v1/attention.pb.h"

ABSL_DECLARE_FLAG(double, alibi_max_bias);
ABSL_DECLARE_FLAG(int64_t, alibi_training_length);

namespace attnserve::attnctl {

// Names of the flags RotaryFromFlags and AlibiFromFlags read, for Command::flags.
std::vector<std::string> RotaryFlagNames();
std::vector<std::string> AlibiFlagNames();

// The rotary encoding the --rope* flags describe; nullopt for --rope none. Without --rope the
// type is `unset_type` ("none" for attention, "default" for the rotary command).
absl::StatusOr<std::optional<v1::RotaryEncoding>> RotaryFromFlags(const std::string& unset_type);

// The ALiBi encoding of --alibi*; nullopt without --alibi (other --alibi_* flags then fail).
absl::StatusOr<std::optional<v1::AlibiEncoding>> AlibiFromFlags();

// Both of the above: rotary, ALiBi, both (hybrid) or neither.
absl::StatusOr<v1::PositionEncoding> PositionEncodingFromFlags();

}  // namespace attnserve::attnctl

#endif  // ATTNSERVE_CLIENT_ATTNCTL_ENCODING_FLAGS_H_
