#include "client/cpp/channel_security.h"

namespace attnserve {

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ChannelSecurity& security) {
  if (!security.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = security.ca_pem;
  options.pem_cert_chain = security.cert_chain_pem;
  options.pem_private_key = security.private_key_pem;
  return grpc::SslCredentials(options);
}

void AddAuthToken(const ChannelSecurity& security, grpc::ClientContext& context) {
  if (!security.auth_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + security.auth_token);
  }
}

}  // namespace attnserve
