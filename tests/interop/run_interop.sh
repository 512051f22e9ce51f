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

# Node is what makes this an independent implementation: a machine without it fails the test
# (npm_ci.sh says so) rather than skipping it. node_modules lives in the build tree.
node_dir=$work_dir/node
bash "$repo/tests/support/npm_ci.sh" grpc_interop "$here/node" "$node_dir"

cases=$work_dir/cases.json
"$record_cases" --target "$ATTNSERVE_TARGET" --out "$cases"

status=0
NODE_PATH=$node_dir/node_modules node "$here/node/interop_test.js" \
  --target "$ATTNSERVE_TARGET" --protos "$repo/proto" --cases "$cases" || status=1
PYTHONPATH=$repo/client/python ATTNSERVE_STUBS=$python_stubs PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 "$here/python_replay.py" --target "$ATTNSERVE_TARGET" --cases "$cases" ||
  status=1
exit $status
