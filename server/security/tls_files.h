// The server's TLS material (--tls_cert, --tls_key, --tls_client_ca), read once at start-up
// and turned into gRPC server credentials. The same PEMs secure /metrics (see
// metrics_endpoint.h). Plain data; safe to share once built.
#ifndef ATTNSERVE_SERVER_SECURITY_TLS_FILES_H_
#define ATTNSERVE_SERVER_SECURITY_TLS_FILES_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace attnserve {

// File paths as the flags gave them; all empty means plaintext.
struct TlsFlags {
  std::string cert_file;       // PEM certificate chain, leaf first
  std::string key_file;        // PEM private key of the leaf
  std::string client_ca_file;  // PEM CA bundle; set means mutual TLS (client certs required)
};

struct TlsPem {
  std::string cert_chain;
  std::string private_key;
  std::string client_ca;  // empty: clients are not asked for a certificate

  bool mutual() const { return !client_ca.empty(); }
};

// nullopt for plaintext. Fails, naming the flag, when a file cannot be read, when only one of
// --tls_cert/--tls_key is given, or when --tls_client_ca comes without them.
absl::StatusOr<std::optional<TlsPem>> LoadTls(const TlsFlags& flags);

// TLS (mutual when the PEM has a client CA) or, for nullopt, insecure credentials.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const std::optional<TlsPem>& tls);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_SECURITY_TLS_FILES_H_
