#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds attnserve into build/.
# Extra arguments are passed to `cmake --build` (e.g. --target attnserve).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
# Two parallel jobs keep peak memory low on small machines; override with ATTNSERVE_JOBS.
cmake --build build --parallel "${ATTNSERVE_JOBS:-2}" "$@"
