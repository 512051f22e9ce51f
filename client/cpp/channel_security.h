// How a client reaches a secured attnserve: TLS (server verified against a CA, or the system's
// roots), mutual TLS (a client certificate), and a bearer token sent with every call. Shared by
// AttnClient and attnctl bench; plain data, PEMs and the token held as contents, not paths.
#ifndef ATTNSERVE_CLIENT_CPP_CHANNEL_SECURITY_H_
#define ATTNSERVE_CLIENT_CPP_CHANNEL_SECURITY_H_

#include <memory>
#include <string>

#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"

namespace attnserve {

struct ChannelSecurity {
  bool tls = false;            // else plaintext, and the PEM fields must be empty
  std::string ca_pem;          // empty: the system's root certificates
  std::string cert_chain_pem;  // with private_key_pem: mutual TLS
  std::string private_key_pem;
  std::string server_name;  // empty: the target's host; else the name the certificate must carry
  std::string auth_token;   // empty: none; else "authorization: Bearer <token>" on every call
};

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ChannelSecurity& security);

// Adds the bearer token to a call, when there is one. (Metadata rather than gRPC call
// credentials, which gRPC refuses to send over plaintext channels, e.g. inside a service mesh.)
void AddAuthToken(const ChannelSecurity& security, grpc::ClientContext& context);

}  // namespace attnserve

#endif  // ATTNSERVE_CLIENT_CPP_CHANNEL_SECURITY_H_
