#!/usr/bin/env bash
# Runs the README's Python quick start against a real server on 127.0.0.1 (ephemeral port) and
# checks that it reports a match with numpy, then that the server drains on SIGTERM with exit 0.
# Usage: run_quickstart.sh ATTNSERVE_BINARY PYTHON_STUBS_DIR
set -euo pipefail
server_binary=$1
stubs=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
workdir=$(mktemp -d)
trap 'kill -9 "$server_pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT

"$server_binary" --host 127.0.0.1 --port 0 >"$workdir/stdout" 2>"$workdir/stderr" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$workdir/stdout" && break
  sleep 0.1
done
port=$(sed -n '1s/^listening on 127.0.0.1://p' "$workdir/stdout")
[ -n "$port" ] || { echo "server did not start"; cat "$workdir/stderr"; exit 1; }

output=$(/usr/bin/python3 "$repo/client/python/examples/quickstart.py" \
  --target "127.0.0.1:$port" --stubs "$stubs")
echo "$output"
grep -q "causal GQA on 'cpu'" <<<"$output"
grep -q "llama3 RoPE at positions 100000+" <<<"$output"

kill -TERM "$server_pid"
wait "$server_pid"  # set -e: a non-zero exit fails the test
echo "server drained and exited 0"
