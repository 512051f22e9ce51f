// "host:port" for listening and connecting, with IPv6 hosts bracketed ("[::1]:50051"); a host
// already in brackets is kept as it is.
#ifndef ATTNSERVE_SERVER_HOST_PORT_H_
#define ATTNSERVE_SERVER_HOST_PORT_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace attnserve {

inline std::string HostPort(const std::string& host, int port) {
  const bool bare_ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return bare_ipv6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_HOST_PORT_H_
