#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the server in the foreground on
# 0.0.0.0:50051 (CPU backend). Arguments are passed to attnserve, e.g. --port 6000.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh --target attnserve attnctl
exec ./build/server/attnserve "$@"
