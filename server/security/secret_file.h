// Reading the files a flag names (certificates, keys, token lists) with errors that name the
// flag, shared by the server and the clients. Stateless; safe from any thread.
#ifndef ATTNSERVE_SERVER_SECURITY_SECRET_FILE_H_
#define ATTNSERVE_SERVER_SECURITY_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace attnserve {

// The whole file at `path`; `flag` (e.g. "--tls_cert") only labels the error:
// INVALID_ARGUMENT "--tls_cert=/x.pem: cannot read: No such file or directory".
absl::StatusOr<std::string> ReadSecretFile(const std::string& flag, const std::string& path);

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_SECURITY_SECRET_FILE_H_
