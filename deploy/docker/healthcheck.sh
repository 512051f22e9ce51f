#!/bin/sh
# Docker HEALTHCHECK: the gRPC health service through attnctl, on the port the server was
# given. With TLS on, HEALTHCHECK_ATTNCTL_ARGS carries the attnctl TLS flags (e.g.
# "--tls_ca /certs/ca.crt --tls_cert /certs/probe.crt --tls_key /certs/probe.key"); health
# needs no bearer token.
set -eu
# shellcheck disable=SC2086  # the extra arguments are meant to split
exec /usr/local/bin/attnctl health --target "127.0.0.1:${ATTNSERVE_PORT:-50051}" \
  --timeout_seconds 2 ${HEALTHCHECK_ATTNCTL_ARGS:-}
