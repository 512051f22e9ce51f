#!/usr/bin/env bash
# The README's Python quick start against the server in ATTNSERVE_TARGET: it must report a
# match with numpy (its own exit code) and show both of its requests.
# Usage: quickstart_test.sh PYTHON_STUBS_DIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
output=$(/usr/bin/python3 "$repo/client/python/examples/quickstart.py" \
  --target "$ATTNSERVE_TARGET" --stubs "$1")
echo "$output"
grep -q "causal GQA on 'cpu'" <<<"$output"
grep -q "llama3 RoPE at positions 100000+" <<<"$output"
