#!/usr/bin/env bash
# The interop check, run by with_server.sh against one attnserve at $ATTNSERVE_TARGET: the C++
# client records every case (record_cases), then grpc-js (interop_test.js) and grpcio
# (python_replay.py) replay them and must get exactly what C++ got.
# Usage: with_server.sh ATTNSERVE run_interop.sh RECORD_CASES PYTHON_STUBS WORK_DIR
set -euo pipefail
record_cases=$1
python_stubs=$2
work_dir=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# Node is what makes this an independent implementation, so a machine without it fails the
# test rather than skipping it.
for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "grpc_interop needs '$tool' (Debian: apt-get install nodejs npm); not found on PATH"
    exit 1
  }
done

# node_modules lives in the build tree, never the source tree. npm ci (exact versions from the
# lock file) runs only when the lock file changed since the last install, so reruns need no
# network.
node_dir=$work_dir/node
mkdir -p "$node_dir"
if ! cmp -s "$here/node/package-lock.json" "$node_dir/package-lock.json" ||
   [ ! -d "$node_dir/node_modules" ]; then
  cp "$here/node/package.json" "$here/node/package-lock.json" "$node_dir/"
  start=$SECONDS
  # --ignore-scripts: neither package needs an install script (protobufjs's only serves its CLI).
  (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || {
    echo "npm ci failed in $node_dir (needs the npm registry the first time)"
    rm -f "$node_dir/package-lock.json"  # so that the next run tries again
    exit 1
  }
  echo "npm ci took $((SECONDS - start)) s"
fi

cases=$work_dir/cases.json
"$record_cases" --target "$ATTNSERVE_TARGET" --out "$cases"

status=0
NODE_PATH=$node_dir/node_modules node "$here/node/interop_test.js" \
  --target "$ATTNSERVE_TARGET" --protos "$repo/proto" --cases "$cases" || status=1
PYTHONPATH=$repo/client/python ATTNSERVE_STUBS=$python_stubs PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 "$here/python_replay.py" --target "$ATTNSERVE_TARGET" --cases "$cases" ||
  status=1
exit $status
