// Bearer-token authentication of gRPC calls (--auth_token_file): a call is let in when its
// "authorization" metadata is "Bearer <token>" for one of the file's tokens. Only SHA-256
// digests of the tokens are kept, and a presented token is compared with every one of them
// in constant time, so neither the timing nor a memory dump gives a token away. Immutable
// after construction; Check may be called from any thread.
#ifndef ATTNSERVE_SERVER_SECURITY_BEARER_TOKEN_AUTH_H_
#define ATTNSERVE_SERVER_SECURITY_BEARER_TOKEN_AUTH_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/string_ref.h"

namespace attnserve {

// The tokens of a token file's text: one per line, blank lines and lines starting with '#'
// skipped, surrounding whitespace trimmed. The format of --auth_token_file, shared with the
// clients so that one file can serve both sides.
std::vector<absl::string_view> TokensIn(absl::string_view text);

class BearerTokenAuth {
 public:
  // Every token of the file (TokensIn), so several can be valid during a rotation. Fails,
  // naming the flag, when the file cannot be read or holds no token.
  static absl::StatusOr<BearerTokenAuth> FromFile(const std::string& path);
  static absl::StatusOr<BearerTokenAuth> FromText(absl::string_view text);

  // OK, or UNAUTHENTICATED saying what is wrong (missing, not Bearer, unknown token); the
  // message never echoes what the client sent.
  absl::Status Check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  explicit BearerTokenAuth(std::vector<Digest> digests) : digests_(std::move(digests)) {}
  static Digest Sha256(absl::string_view text);

  std::vector<Digest> digests_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_SECURITY_BEARER_TOKEN_AUTH_H_
