#!/bin/sh
# The image's entrypoint: runs attnserve with every ATTNSERVE_<FLAG> environment variable that
# names one of its flags as --<flag> (ATTNSERVE_THREADS=4 -> --threads=4, ATTNSERVE_TLS_CERT=/x
# -> --tls_cert=/x), then the container's arguments, which therefore win. Other ATTNSERVE_*
# variables (Kubernetes adds ATTNSERVE_SERVICE_HOST and the like for a Service named attnserve
# unless enableServiceLinks is off) are skipped with a warning rather than stopping the server.
# exec: attnserve is PID 1 and gets SIGTERM itself, so `docker stop` drains it.
set -eu
server=/usr/local/bin/attnserve
flags=$("$server" --helpfull 2>&1 | sed -n 's/^ *--\([a-z0-9_]*\) .*/\1/p' || true)
for variable in $(env | sed -n 's/^\(ATTNSERVE_[A-Z0-9_]*\)=.*/\1/p'); do
  flag=$(printf '%s' "${variable#ATTNSERVE_}" | tr '[:upper:]' '[:lower:]')
  if ! printf '%s\n' "$flags" | grep -qx "$flag"; then
    echo "attnserve-entrypoint: ignoring $variable: attnserve has no --$flag" >&2
    continue
  fi
  value=
  eval "value=\${$variable}"
  set -- "--$flag=$value" "$@"
done
exec "$server" "$@"
