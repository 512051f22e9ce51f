#include "server/security/tls_files.h"

#include "grpcpp/security/server_credentials.h"
#include "server/security/secret_file.h"

namespace attnserve {

absl::StatusOr<std::optional<TlsPem>> LoadTls(const TlsFlags& flags) {
  if (flags.cert_file.empty() != flags.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key must be given together");
  }
  if (flags.cert_file.empty()) {
    if (!flags.client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    return std::nullopt;
  }
  TlsPem pem;
  absl::StatusOr<std::string> cert = ReadSecretFile("--tls_cert", flags.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadSecretFile("--tls_key", flags.key_file);
  if (!key.ok()) return key.status();
  pem.cert_chain = *std::move(cert);
  pem.private_key = *std::move(key);
  if (!flags.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadSecretFile("--tls_client_ca", flags.client_ca_file);
    if (!ca.ok()) return ca.status();
    pem.client_ca = *std::move(ca);
  }
  return pem;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const std::optional<TlsPem>& tls) {
  if (!tls) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls->mutual() ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                    : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_root_certs = tls->client_ca;
  options.pem_key_cert_pairs.push_back({tls->private_key, tls->cert_chain});
  return grpc::SslServerCredentials(options);
}

}  // namespace attnserve
