#!/usr/bin/env bash
# Runs COMMAND... against a real attnserve on 127.0.0.1 (ephemeral ports, exported as
# ATTNSERVE_TARGET and ATTNSERVE_METRICS_TARGET), then checks that the server drains on SIGTERM
# and exits 0.
# Usage: with_server.sh ATTNSERVE_BINARY COMMAND...
set -euo pipefail
server_binary=$1
shift
workdir=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$workdir"' EXIT

security_flags=()
if [ "${ATTNSERVE_TEST_PKI:-0}" = 1 ]; then
  export ATTNSERVE_PKI_DIR="$workdir/pki"
  bash "$(dirname "$0")/../support/make_test_pki.sh" "$ATTNSERVE_PKI_DIR"
  security_flags=(--tls_cert "$ATTNSERVE_PKI_DIR/server.pem" --tls_key "$ATTNSERVE_PKI_DIR/server.key"
    --tls_client_ca "$ATTNSERVE_PKI_DIR/ca.pem" --auth_token_file "$ATTNSERVE_PKI_DIR/tokens.txt")
fi

"$server_binary" --host 127.0.0.1 --port 0 --metrics_port=-1 "${security_flags[@]}" \
  >"$workdir/stdout" 2>"$workdir/stderr" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^metrics on ' "$workdir/stdout" && break
  sleep 0.1
done
port=$(sed -n '1s/^listening on 127.0.0.1://p' "$workdir/stdout")
metrics_port=$(sed -n '2s/^metrics on 127.0.0.1://p' "$workdir/stdout")
[ -n "$port" ] && [ -n "$metrics_port" ] || {
  echo "server did not start"; cat "$workdir/stderr"; exit 1; }

ATTNSERVE_TARGET="127.0.0.1:$port" ATTNSERVE_METRICS_TARGET="127.0.0.1:$metrics_port" "$@"

kill -TERM "$server_pid"
wait "$server_pid"  # set -e: a non-zero exit fails the test
server_pid=
echo "server drained and exited 0"
