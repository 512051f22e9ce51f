#include "server/security/bearer_token_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/security/secret_file.h"

namespace attnserve {
namespace {

constexpr absl::string_view kScheme = "Bearer ";

}  // namespace

absl::StatusOr<BearerTokenAuth> BearerTokenAuth::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSecretFile("--auth_token_file", path);
  if (!text.ok()) return text.status();
  absl::StatusOr<BearerTokenAuth> auth = FromText(*text);
  if (!auth.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auth_token_file=", path, ": ", auth.status().message()));
  }
  return auth;
}

std::vector<absl::string_view> TokensIn(absl::string_view text) {
  std::vector<absl::string_view> tokens;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    tokens.push_back(line);
  }
  return tokens;
}

absl::StatusOr<BearerTokenAuth> BearerTokenAuth::FromText(absl::string_view text) {
  std::vector<Digest> digests;
  for (absl::string_view token : TokensIn(text)) digests.push_back(Sha256(token));
  if (digests.empty()) return absl::InvalidArgumentError("holds no token");
  return BearerTokenAuth(std::move(digests));
}

BearerTokenAuth::Digest BearerTokenAuth::Sha256(absl::string_view text) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

absl::Status BearerTokenAuth::Check(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  const auto header = metadata.find("authorization");
  if (header == metadata.end()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  const absl::string_view value(header->second.data(), header->second.size());
  if (!absl::StartsWith(value, kScheme)) {
    return absl::UnauthenticatedError("'authorization' metadata must be 'Bearer <token>'");
  }
  const Digest presented = Sha256(value.substr(kScheme.size()));
  // Every digest is compared, whichever matches, so the time says nothing about which did.
  bool known = false;
  for (const Digest& digest : digests_) {
    known |= CRYPTO_memcmp(digest.data(), presented.data(), digest.size()) == 0;
  }
  if (!known) return absl::UnauthenticatedError("invalid bearer token");
  return absl::OkStatus();
}

}  // namespace attnserve
