#!/usr/bin/env bash
# README command 2: install what is missing, build everything, and run every test (unit tests,
# integration tests against real servers on 127.0.0.1, the Python quick start).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "${ATTNSERVE_JOBS:-2}"
