#include "client/attnctl/common_flags.h"

#include <cmath>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/cpp/channel_options.h"
#include "server/security/bearer_token_auth.h"
#include "server/security/secret_file.h"

ABSL_FLAG(int32_t, verify, 0,
          "Recompute locally with the float64 reference and compare (relative L2 error; "
          "tolerance 1e-5 for float32 outputs, 1e-2 for float16/bfloat16, 1e-5 for lse and "
          "probabilities). attention: a bare --verify checks its response (exit 3 on a "
          "mismatch); bench: --verify K checks one response in K (exit 3 on any mismatch).");
ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "Server address: host:port, a gRPC target URI (dns:///name:port balances over every "
          "address of the name), or several IPv4 ip:port, comma-separated (round-robin, "
          "UNAVAILABLE retried).");
ABSL_FLAG(double, timeout_seconds, 60, "Deadline of each RPC, in seconds.");
ABSL_FLAG(bool, tls, false,
          "Connect over TLS, verifying the server with the system's root certificates (or "
          "--tls_ca). Implied by any other --tls_* flag.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle that signed the server's certificate.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate chain, for servers requiring mutual TLS (needs --tls_key).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name the server's certificate must carry, when it differs from the --target host.");
ABSL_FLAG(std::string, auth_token_file, "",
          "File holding a bearer token (its first line that is not blank or a #comment), sent as "
          "'authorization: Bearer <token>'.");
ABSL_FLAG(int64_t, heads, 8,
          "Query heads (attention: of the random inputs; alibi: slopes to get).");
ABSL_FLAG(int64_t, head_dim, 64, "Query/key head size (attention: random inputs; rotary: table).");
ABSL_FLAG(
    std::string, dtype, "float32",
    "Input dtype sent to the server: float32, float16 or bfloat16 (values are rounded to it).");
ABSL_FLAG(std::string, query, "",
          "Query .npy file (float16/32/64, C order), [batch, seq, heads, head_dim].");
ABSL_FLAG(std::string, output, "",
          "Write the result tensor to this .npy file: float16 results as '<f2', float32 as "
          "'<f4', and bfloat16 converted (exactly) to float32 '<f4', since numpy has no bfloat16.");

namespace attnserve::attnctl {
namespace {

absl::StatusOr<ChannelSecurity> ChannelSecurityFromFlags() {
  ChannelSecurity security;
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca);
  const std::string cert_file = absl::GetFlag(FLAGS_tls_cert);
  const std::string key_file = absl::GetFlag(FLAGS_tls_key);
  security.server_name = absl::GetFlag(FLAGS_tls_server_name);
  security.tls = absl::GetFlag(FLAGS_tls) || !ca_file.empty() || !cert_file.empty() ||
                 !key_file.empty() || !security.server_name.empty();
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key must be given together");
  }
  for (auto [flag, path, pem] : {std::tuple{"--tls_ca", ca_file, &security.ca_pem},
                                 std::tuple{"--tls_cert", cert_file, &security.cert_chain_pem},
                                 std::tuple{"--tls_key", key_file, &security.private_key_pem}}) {
    if (path.empty()) continue;
    absl::StatusOr<std::string> contents = ReadSecretFile(flag, path);
    if (!contents.ok()) return contents.status();
    *pem = *std::move(contents);
  }
  if (const std::string token_file = absl::GetFlag(FLAGS_auth_token_file); !token_file.empty()) {
    absl::StatusOr<std::string> contents = ReadSecretFile("--auth_token_file", token_file);
    if (!contents.ok()) return contents.status();
    // The first token of a file in the server's --auth_token_file format.
    const std::vector<absl::string_view> tokens = TokensIn(*contents);
    if (!tokens.empty()) security.auth_token = std::string(tokens.front());
    if (security.auth_token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--auth_token_file=", token_file, ": holds no token"));
    }
  }
  return security;
}

}  // namespace

absl::StatusOr<ClientOptions> ClientOptionsFromFlags() {
  const double timeout_seconds = absl::GetFlag(FLAGS_timeout_seconds);
  if (!(timeout_seconds > 0) || !std::isfinite(timeout_seconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout_seconds=", timeout_seconds, " must be positive"));
  }
  ClientOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  if (absl::StatusOr<std::string> uri = ChannelUri(options.target); !uri.ok()) {
    return uri.status();
  }
  options.timeout = absl::Seconds(timeout_seconds);
  absl::StatusOr<ChannelSecurity> security = ChannelSecurityFromFlags();
  if (!security.ok()) return security.status();
  options.security = *std::move(security);
  return options;
}

}  // namespace attnserve::attnctl
